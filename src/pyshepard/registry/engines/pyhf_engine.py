"""pyhf engine: HistFactory workspaces and patchsets, evaluated with pyhf's tensor backends.

pyhf is an optional dependency (extra `registry`), so it is imported inside functions: the CLI
and the server must start without it and report "engine unavailable" instead.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pyshepard.registry.engines.base import (
    DataKind,
    Engine,
    EngineError,
    EngineUnavailable,
    FitResult,
    LoadedModel,
    ParameterInfo,
    Precision,
    Yields,
)
from pyshepard.registry.engines.pyhf_structure import PatchSchema, duplicate_problems

SCHEMA_FILES = {
    "pyhf-workspace": "workspace.json",
    "pyhf-patchset": "patchset.json",
    "pyhf-model": "model.json",
}
SECOND_BACKENDS = ("jax", "pytorch", "tensorflow")


def _pyhf() -> Any:
    try:
        import pyhf  # noqa: PLC0415 - optional dependency, see module docstring
    except ImportError as error:
        raise EngineUnavailable(f"pyhf is not installed ({error})") from error
    return pyhf


@contextmanager
def use_backend(backend: str, precision: Precision) -> Iterator[None]:
    """Switch pyhf's (process-global) backend for the duration, then restore it."""
    pyhf = _pyhf()
    tensorlib, _ = pyhf.get_backend()
    previous = (tensorlib.name, tensorlib.precision)
    if previous != (backend, precision):
        try:
            pyhf.set_backend(backend, precision=precision)
        except (
            ImportError,
            pyhf.exceptions.ImportBackendError,
            pyhf.exceptions.InvalidBackend,
        ) as error:
            raise EngineUnavailable(
                f"pyhf backend '{backend}' is not available: {error}"
            ) from error
    try:
        yield
    finally:
        if previous != (backend, precision):
            pyhf.set_backend(previous[0], precision=previous[1])


def available_backends() -> list[str]:
    """pyhf backends other than numpy that import in this process."""
    found = []
    for backend in SECOND_BACKENDS:
        try:
            with use_backend(backend, "64b"):
                found.append(backend)
        except EngineUnavailable:
            continue
    return found


class PyhfModel(LoadedModel):
    engine_name = "pyhf"

    def __init__(
        self, workspace: Any, model: Any, *, backend: str, precision: Precision, notes: list[str]
    ) -> None:
        self._workspace = workspace
        self._model = model
        self.backend = backend
        self.precision: Precision = precision
        self.notes = notes
        self._data_cache: dict[str, Any] = {}
        self._fits: dict[str, FitResult] = {}
        config = model.config
        self.poi = config.poi_name
        self.par_names: list[str] = list(config.par_names)
        self.parameters = list(self._parameter_infos(config))

    def _parameter_infos(self, config: Any) -> Iterator[ParameterInfo]:
        init = config.suggested_init()
        bounds = config.suggested_bounds()
        fixed = config.suggested_fixed()
        kinds = dict(config.modifiers)
        for name in config.par_order:
            paramset = config.param_set(name)
            index = config.par_slice(name)
            widths: list[float | None] = [None] * paramset.n_parameters
            if getattr(paramset, "constrained", False):
                with contextlib.suppress(RuntimeError):  # a Poisson constraint without factors
                    widths = [float(width) for width in paramset.width()]
            for offset, position in enumerate(range(index.start, index.stop)):
                yield ParameterInfo(
                    name=self.par_names[position],
                    init=float(init[position]),
                    lower=float(bounds[position][0]),
                    upper=float(bounds[position][1]),
                    width=widths[offset],
                    fixed=bool(fixed[position]),
                    poi=name == config.poi_name,
                    kind=kinds.get(name, ""),
                )

    @property
    def config(self) -> Any:
        return self._model.config

    def _vector(self, values: Mapping[str, float]) -> list[float]:
        complete = self.complete(values)
        return [complete[name] for name in self.par_names]

    def _data(self, data: DataKind) -> Any:
        if data not in self._data_cache:
            if data == "observed":
                self._data_cache[data] = self._workspace.data(self._model)
            else:
                init = self.config.suggested_init()
                with use_backend(self.backend, self.precision):
                    tensorlib = _pyhf().tensorlib
                    expected = self._model.expected_data(tensorlib.astensor(init))
                    self._data_cache[data] = tensorlib.tolist(expected)
        return self._data_cache[data]

    def logpdf(self, values: Mapping[str, float], *, data: DataKind = "observed") -> float:
        return self.logpdf_many([values], data=data)[0]

    def logpdf_many(
        self, points: Sequence[Mapping[str, float]], *, data: DataKind = "observed"
    ) -> list[float]:
        observed = self._data(data)
        with use_backend(self.backend, self.precision):
            tensorlib = _pyhf().tensorlib
            data_tensor = tensorlib.astensor(observed)
            return [
                float(
                    tensorlib.tolist(
                        self._model.logpdf(tensorlib.astensor(self._vector(point)), data_tensor)
                    )[0]
                )
                for point in points
            ]

    def fit(self, *, data: DataKind = "observed") -> FitResult:
        if data in self._fits:
            return self._fits[data]
        pyhf = _pyhf()
        observed = self._data(data)
        with use_backend(self.backend, self.precision):
            tensorlib = pyhf.tensorlib
            try:
                best, twice_nll, result = pyhf.infer.mle.fit(
                    tensorlib.astensor(observed),
                    self._model,
                    return_fitted_val=True,
                    return_result_obj=True,
                )
            except pyhf.exceptions.FailedMinimization as failure:
                outcome = FitResult(
                    converged=False,
                    twice_nll=math.nan,
                    values={},
                    message=str(getattr(failure.result, "message", failure)),
                )
            else:
                values = [float(v) for v in tensorlib.tolist(best)]
                outcome = FitResult(
                    converged=bool(result.success),
                    twice_nll=float(tensorlib.tolist(twice_nll)),
                    values=dict(zip(self.par_names, values, strict=True)),
                    message=str(result.message),
                    iterations=int(getattr(result, "nit", 0) or 0) or None,
                )
        self._fits[data] = outcome
        return outcome

    def evaluate_points(
        self, points: Sequence[Mapping[str, float]]
    ) -> tuple[list[float], list[list[float]]]:
        """One expected-data evaluation per point serves both the yields and log L (main
        Poisson term plus constraint term, as pyhf's `Model.logpdf` composes them)."""
        pyhf = _pyhf()
        observed = self._data("observed")
        nmain = self.config.nmaindata
        logpdfs: list[float] = []
        totals: list[list[float]] = []
        with use_backend(self.backend, self.precision):
            tensorlib = pyhf.tensorlib
            main = tensorlib.astensor(observed[:nmain])
            aux = tensorlib.astensor(observed[nmain:])
            has_constraints = self.config.nauxdata > 0
            for point in points:
                pars = tensorlib.astensor(self._vector(point))
                expected = self._model.main_model.expected_data(pars)
                poisson = pyhf.probability.Poisson(expected)
                value = pyhf.probability.Independent(poisson).log_prob(main)
                if has_constraints:
                    value = value + self._model.constraint_model.logpdf(aux, pars)
                logpdfs.append(float(tensorlib.tolist(value)))
                totals.append([float(x) for x in tensorlib.tolist(expected)])
        return logpdfs, totals

    def expected_totals(self, points: Sequence[Mapping[str, float]]) -> list[list[float]]:
        with use_backend(self.backend, self.precision):
            tensorlib = _pyhf().tensorlib
            return [
                [
                    float(x)
                    for x in tensorlib.tolist(
                        self._model.expected_actualdata(tensorlib.astensor(v))
                    )
                ]
                for v in (self._vector(point) for point in points)
            ]

    def yields(self) -> Yields:
        config = self.config
        with use_backend(self.backend, self.precision):
            tensorlib = _pyhf().tensorlib
            by_sample = tensorlib.tolist(
                self._model.main_model.expected_data(
                    tensorlib.astensor(config.suggested_init()), return_by_sample=True
                )
            )
        result: dict[str, dict[str, list[float]]] = {}
        for channel in config.channels:
            bins = config.channel_slices[channel]
            result[channel] = {
                sample: [float(x) for x in by_sample[index][bins]]
                for index, sample in enumerate(config.samples)
            }
        observed = {
            channel: [float(x) for x in self._workspace.observations.get(channel, [])]
            for channel in config.channels
        }
        return Yields(by_sample=result, observed=observed)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "precision": self.precision, "notes": self.notes}


class PyhfEngine(Engine):
    name = "pyhf"

    def version(self) -> str:
        return str(_pyhf().__version__)

    def schema_problems(self, document: Any, model_format: str) -> list[str]:
        pyhf = _pyhf()
        schema_name = SCHEMA_FILES.get(model_format)
        if schema_name is None:
            return [f"pyhf has no schema for format '{model_format}'"]
        version = document.get("version") if isinstance(document, dict) else None
        if model_format == "pyhf-model":
            version = None
        try:
            pyhf.schema.validate(document, schema_name, version=version)
        except pyhf.exceptions.InvalidSpecification as error:
            return [f"{schema_name} (pyhf schema {version or pyhf.schema.version}): {error}"]
        except pyhf.exceptions.SchemaNotFound as error:
            return [f"unknown pyhf schema version {version!r}: {error}"]
        if model_format == "pyhf-patchset":
            try:
                pyhf.PatchSet(document)
            except pyhf.exceptions.InvalidPatchSet as error:
                return [f"invalid patchset: {error}"]
            return []
        return duplicate_problems(document)

    def load(
        self,
        document: Any,
        *,
        precision: Precision = "64b",
        backend: str = "numpy",
        validate: bool = True,
    ) -> PyhfModel:
        pyhf = _pyhf()
        notes: list[str] = []
        with use_backend(backend, precision):
            try:
                workspace = pyhf.Workspace(document, validate=validate)
                try:
                    model = workspace.model(validate=validate)
                except pyhf.exceptions.InvalidModel as error:
                    if "parameter of interest" not in str(error):
                        raise
                    notes.append(f"{error} Built without a POI.")
                    model = workspace.model(poi_name=None, validate=False)
            except (pyhf.exceptions.InvalidModel, pyhf.exceptions.InvalidSpecification) as error:
                raise EngineError(f"{type(error).__name__}: {error}") from error
            except (KeyError, IndexError, ValueError, TypeError) as error:
                raise EngineError(
                    f"pyhf cannot build the model: {type(error).__name__}: {error}"
                ) from error
            return PyhfModel(workspace, model, backend=backend, precision=precision, notes=notes)


def copy_along(document: Any, operations: Sequence[Mapping[str, Any]]) -> Any:
    """A copy of `document` in which every container on an operation's path (and `from` path)
    is fresh, so the patch can be applied in place; untouched subtrees stay shared (read-only),
    which avoids deep-copying a large background workspace once per patch."""
    root = _shallow_copy(document)
    for operation in operations:
        for key in ("path", "from"):
            pointer = operation.get(key)
            if isinstance(pointer, str):
                _copy_path(root, pointer)
    return root


def _shallow_copy(node: Any) -> Any:
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def _copy_path(root: Any, pointer: str) -> None:
    node = root
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    for part in parts[:-1] if pointer else []:
        if isinstance(node, dict) and part in node:
            node[part] = _shallow_copy(node[part])
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node[int(part)] = _shallow_copy(node[int(part)])
            node = node[int(part)]
        else:
            return


class PyhfPatchSet:
    """A background-only workspace and its patchset; builds each patched workspace on demand."""

    def __init__(self, background: Mapping[str, Any], patchset: Mapping[str, Any]) -> None:
        pyhf = _pyhf()
        self.background = background
        self.patchset = pyhf.PatchSet(patchset)
        self._schema = PatchSchema(pyhf.schema.load_schema(f"{pyhf.schema.version}/defs.json"))

    @property
    def names(self) -> list[str]:
        return [str(patch.name) for patch in self.patchset.patches]

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.patchset.labels]

    def values(self, name: str) -> list[Any]:
        return list(self.patchset[name].values)

    def references(self) -> dict[str, Any]:
        return dict(self.patchset.references)

    def verify(self) -> str | None:
        """None when the patchset's digests match the background-only workspace, else why not."""
        pyhf = _pyhf()
        try:
            self.patchset.verify(self.background)
        except pyhf.exceptions.PatchSetVerificationError as error:
            return str(error)
        return None

    def patched(self, name: str) -> tuple[dict[str, Any], list[str]]:
        """The patched workspace document and the schema/structure problems the patch introduced."""
        patch = self.patchset[name]
        operations = list(patch.patch)
        document = copy_along(self.background, operations)
        try:
            document = patch.apply(document, in_place=True)
        except Exception as error:  # jsonpatch raises several unrelated types
            return {}, [f"patch cannot be applied: {type(error).__name__}: {error}"]
        problems = self._schema.problems(document, operations)
        problems += duplicate_problems(document)
        return document, problems
