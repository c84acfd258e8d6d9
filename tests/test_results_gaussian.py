"""Result reproduction for seed 000 (slow): 8 seeds per model and framework, the original's runs.

The originals report, from single runs, discriminator accuracy near 0.5 after 10 epochs. A
probe of the TF1 graphs found the GAN ending in [0.4, 0.6] 8 times of 8 and the CGAN 4 of 8
(the discriminator wins outright in the others), so the bounds are 7 of 8 and 3 of 8. Each
run's final figures go to runs/results/<model>_<framework>.json for the README's table.
"""

import json
import pathlib

import numpy as np
import pytest

from ports import gaussian_cgan as cgan_port
from ports import gaussian_gan as gan_port
from tf1_reference import gaussian_cgan as cgan_ref
from tf1_reference import gaussian_gan as gan_ref

MODULES = {
    ("gaussian_gan", "tf1"): gan_ref,
    ("gaussian_gan", "pytorch"): gan_port,
    ("gaussian_cgan", "tf1"): cgan_ref,
    ("gaussian_cgan", "pytorch"): cgan_port,
}
AT_LEAST = {"gaussian_gan": 7, "gaussian_cgan": 3}
SEEDS = range(8)


@pytest.mark.slow
@pytest.mark.parametrize("model, framework", sorted(MODULES))
def test_final_accuracy_near_one_half(model, framework, tmp_path):
    finals = []
    for seed in SEEDS:
        folder = tmp_path / str(seed)
        MODULES[model, framework].main(["--seed", str(seed), "--out", str(folder)])
        last = json.loads((folder / "metrics.jsonl").read_text().splitlines()[-1])
        mean_error = float(np.linalg.norm(np.subtract(last["gen_mean"], last["true_mean"])))
        finals.append(
            {
                "seed": seed,
                "accuracy": last["accuracy"],
                "loss_D": last["loss_D"],
                "mean_error": mean_error,
            }
        )
    inside = sum(0.4 <= f["accuracy"] <= 0.6 for f in finals)
    results = pathlib.Path("runs") / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{model}_{framework}.json").write_text(
        json.dumps({"inside": inside, "of": len(finals), "runs": finals}, indent=1)
    )
    assert inside >= AT_LEAST[model], finals
