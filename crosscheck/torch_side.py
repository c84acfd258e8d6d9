"""The PyTorch side of a cross-check: the port's modules with the same weights, and one
optimizer per sub-step; each step records every kink op's input under a TorchDispatchMode and
splits the step into sub-steps at each optimizer step."""

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from crosscheck import fed_random, graph_reading
from crosscheck.case import CaseError
from crosscheck.tf_adam import TFAdam
from ports import layouts


# PyTorch's kink ops, and how each one's branch indicator x (identity branch where x > 0) is
# read from its arguments: F.relu, F.leaky_relu, torch.maximum / minimum (see indicator()).
_KINK_OPS = {
    torch.ops.aten.relu.default: 1,
    torch.ops.aten.relu_.default: 1,
    torch.ops.aten.leaky_relu.default: 1,
    torch.ops.aten.leaky_relu_.default: 1,
    torch.ops.aten.maximum.default: 2,
    torch.ops.aten.minimum.default: 2,
}


class KinkRecorder(TorchDispatchMode):
    """Every kink op's output and branch indicator during the port's step, per sub-step."""

    def __init__(self):
        super().__init__()
        self.substeps = [[]]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        arity = _KINK_OPS.get(func)
        if arity is None:
            return func(*args, **(kwargs or {}))
        inputs = [a.detach().to(torch.float64).numpy().copy() for a in args[:arity]]
        out = func(*args, **(kwargs or {}))
        x = graph_reading.indicator(inputs)
        self.substeps[-1].append((out.detach().numpy().copy(), x))
        return out


class TorchSide:
    """The port's modules in `dtype`, with the same weights, and the optimizers the graph has."""

    def __init__(self, case, dtype, adam, substeps, optimizers=True):
        self.case, self.dtype, self.substeps = case, getattr(torch, dtype), substeps
        self.nets = {name: module.to(self.dtype) for name, module in case.modules().items()}
        self.opts, self.label_of = {}, {}
        if optimizers:
            self.build_optimizers(adam)

    def build_optimizers(self, adam):
        """One optimizer per sub-step over the parameters of its var_list (name map checked)."""
        params = {sub.label: self.params_of(sub.variables) for sub in self.substeps}
        if self.case.optimizers is not None:
            self.opts = self.case.optimizers(params, adam)
        else:
            self.opts = {s.label: optimizer(s, params[s.label], adam) for s in self.substeps}
        self.label_of = {id(opt): label for label, opt in self.opts.items()}

    # The two-network GAN's names, for the archive's own cases and tools.
    G = property(lambda self: self.nets["generator"])
    D = property(lambda self: self.nets["discriminator"])
    opt_G = property(lambda self: self.opts["G"])
    opt_D = property(lambda self: self.opts["D"])
    modules = property(lambda self: self.nets)

    def params_of(self, variables):
        """The parameters of TF variables `variables`, in their modules' own order."""
        wanted = {id(layouts.parameter(self.nets, self.case.name_map[v][0])) for v in variables}
        return [p for net in self.nets.values() for p in net.parameters() if id(p) in wanted]

    def tensors(self, batch):
        return {
            key: self.tensors(value)
            if isinstance(value, dict)
            else torch.as_tensor(value, dtype=self.dtype)
            for key, value in batch.items()
        }

    @torch.no_grad()
    def load(self, weights):
        for name, (path, layout) in self.case.name_map.items():
            target = layouts.parameter(self.nets, path)
            target.copy_(torch.as_tensor(layouts.to_torch(layout, weights[name])))

    def values(self):
        return {
            name: layouts.to_tf(layout, layouts.parameter(self.nets, path).detach().numpy())
            for name, (path, layout) in self.case.name_map.items()
        }

    def step(self, batch, tf_runs=(), grads=False, dry=False):
        """One step of the port on `batch`, with TF's random draws of the same step; returns
        (losses, kinks per sub-step, gradients by TF name when `grads`, dropout-rate slips).
        `dry`: every optimizer's step does nothing (each sub-step's gradients before any update).
        """
        recorder, draws = (
            KinkRecorder(),
            fed_random.TorchDraws(
                [run["random"] for run in tf_runs], lambda: len(recorder.substeps) - 1
            ),
        )
        seen, handles = {}, []

        def before(optimizer, *_):
            label = self.label_of.get(id(optimizer))
            expected = self.substeps[len(recorder.substeps) - 1].label
            if label != expected:
                raise CaseError(
                    f"the port's step runs the {label} optimizer where the graph runs the "
                    f"{expected} step; run them in the graph's order "
                    f"({', '.join(s.label for s in self.substeps)})."
                )
            if grads or dry:
                for group in optimizer.param_groups:
                    for param in group["params"]:
                        seen[id(param)] = (
                            None if param.grad is None else param.grad.detach().clone()
                        )

        def after(*_):
            recorder.substeps.append([])

        def dry_step(optimizer):
            def step(*args, **kwargs):
                before(optimizer)
                after()

            return step

        for opt in self.opts.values():
            if dry:
                opt.step = dry_step(opt)  # An instance attribute: the class's step is untouched.
            else:
                handles.append(opt.register_step_pre_hook(before))
                handles.append(opt.register_step_post_hook(after))
        try:
            with draws.patched(), recorder:
                losses = self.case.torch_step(self.nets, self.opts, self.tensors(batch))
        finally:
            for handle in handles:
                handle.remove()
            for opt in self.opts.values():
                vars(opt).pop("step", None)
        by_name = {}
        for name, (path, layout) in self.case.name_map.items():
            grad = seen.get(id(layouts.parameter(self.nets, path)))
            if grad is not None:
                by_name[name] = layouts.to_tf(layout, grad.numpy())
        losses = [float(loss) for loss in losses]
        return losses, recorder.substeps[: len(self.substeps)], by_name, draws.rate_mismatches


def optimizer(sub, params, adam):
    """The PyTorch optimizer of one sub-step, from its TF optimizer's constants."""
    c = sub.constants
    if sub.kind == "adam" and adam == "tf":
        return TFAdam(params, lr=c["lr"], beta1=c["beta1"], beta2=c["beta2"], epsilon=c["epsilon"])
    if sub.kind == "adam":
        return torch.optim.Adam(
            params, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["epsilon"]
        )
    if sub.kind == "momentum":
        return torch.optim.SGD(params, lr=c["lr"], momentum=c["momentum"], nesterov=c["nesterov"])
    return torch.optim.SGD(params, lr=c["lr"])
