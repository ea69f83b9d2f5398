"""Independent reference values computed directly with pyhf (not through the pipeline)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any


def _pyhf() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyhf  # noqa: PLC0415 - imported lazily so collection stays cheap

    pyhf.set_backend("numpy", precision="64b")
    return pyhf


def _workspace(spec: dict[str, Any]) -> Any:
    pyhf = _pyhf()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyhf.Workspace(spec)


def logpdf_at_init(path: Path, *, patchset: Path | None = None, patch: str | None = None) -> float:
    spec = json.loads(path.read_text())
    if patchset is not None:
        pyhf = _pyhf()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = dict(pyhf.PatchSet(json.loads(patchset.read_text()))[patch].apply(spec))
    workspace = _workspace(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = workspace.model()
        return float(model.logpdf(model.config.suggested_init(), workspace.data(model))[0])


def twice_delta_nll(path: Path, values: dict[str, float]) -> float:
    """-2 ln L(values) + 2 ln L(unconditional best fit), pyhf numpy 64-bit."""
    pyhf = _pyhf()
    workspace = _workspace(json.loads(path.read_text()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = workspace.model()
        data = workspace.data(model)
        pars = list(model.config.suggested_init())
        for name, value in values.items():
            pars[model.config.par_names.index(name)] = value
        _, best = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
        return float(-2 * model.logpdf(pars, data)[0] - float(best))
