"""Every query of the registry: models, versions, runs, reviews, webhooks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.core.dialect import is_postgres
from pyshepard.core.errors import Conflict
from pyshepard.core.identity import Principal
from pyshepard.registry.models import (
    RegistryModel,
    RegistryModelVersion,
    RegistryWebhook,
    Review,
    ValidationRun,
)

APPROVED = "approved"


@dataclass(frozen=True)
class Visibility:
    """Who sees what: anonymous callers approved models only; a logged-in caller also their
    own submissions; reviewers and admins everything."""

    actor: Principal | None

    @property
    def sees_all(self) -> bool:
        return self.actor is not None and self.actor.has_role("reviewer")

    def condition(self) -> ColumnElement[bool]:
        published = RegistryModel.approved_version.is_not(None)
        if self.actor is None:
            return published
        if self.sees_all:
            return true()
        return or_(published, RegistryModel.owner == self.actor.username)


class RegistryStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- models -------------------------------------------------------------------------------

    async def get_model(self, model_id: str, *, for_update: bool = False) -> RegistryModel | None:
        query = select(RegistryModel).where(RegistryModel.model_id == model_id)
        if for_update:
            query = query.with_for_update()
        result: RegistryModel | None = await self.session.scalar(query)
        return result

    async def find_concept(self, name_key: str, collaboration_key: str) -> RegistryModel | None:
        result: RegistryModel | None = await self.session.scalar(
            select(RegistryModel).where(
                RegistryModel.name_key == name_key,
                RegistryModel.collaboration_key == collaboration_key,
            )
        )
        return result

    def _visible(self, visibility: Visibility) -> Select[RegistryModel]:
        return select(RegistryModel).where(visibility.condition())

    async def list_models(
        self,
        visibility: Visibility,
        *,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[RegistryModel], int]:
        query = self._visible(visibility)
        if status is not None:
            query = query.where(RegistryModel.status == status)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(RegistryModel.created_at, RegistryModel.model_id)
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), int(total or 0)

    async def search_candidates(
        self, visibility: Visibility, terms: Sequence[str], *, limit: int
    ) -> Sequence[RegistryModel]:
        """Visible models whose search text contains any of `terms` (lower-cased), the likely
        best first (name hits weigh most, then the number of terms found), so that the caller's
        exact ranking sees the strongest candidates even when more than `limit` match."""
        if not terms:
            return []
        in_text = [RegistryModel.search_text.contains(term, autoescape=True) for term in terms]
        name = func.lower(RegistryModel.name)
        in_name = [name.contains(term, autoescape=True) for term in terms]
        relevance = sum(
            (
                case((hit, weight), else_=0)
                for hits, weight in ((in_name, 5), (in_text, 1))
                for hit in hits
            ),
            literal(0),
        )
        rows = await self.session.scalars(
            self._visible(visibility)
            .where(or_(false(), *in_text))
            .order_by(relevance.desc(), RegistryModel.model_id)
            .limit(limit)
        )
        return rows.all()

    async def filter_models(
        self,
        visibility: Visibility,
        *,
        domain: str | None,
        collaboration: str | None,
        offset: int,
        limit: int,
    ) -> Sequence[RegistryModel]:
        """Filtered in SQL by domain and collaboration; tags are checked by the caller."""
        query = self._visible(visibility)
        if domain is not None:
            query = query.where(RegistryModel.domain == domain)
        if collaboration is not None:
            query = query.where(RegistryModel.collaboration_key == collaboration.casefold())
        rows = await self.session.scalars(
            query.order_by(RegistryModel.created_at, RegistryModel.model_id)
            .offset(offset)
            .limit(limit)
        )
        return rows.all()

    async def approved_models(self) -> Sequence[RegistryModel]:
        rows = await self.session.scalars(
            select(RegistryModel)
            .where(RegistryModel.approved_version.is_not(None))
            .order_by(RegistryModel.model_id)
        )
        return rows.all()

    async def add_model(self, model: RegistryModel) -> RegistryModel:
        self.session.add(model)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            raise Conflict(
                f"A model named {model.name!r} of {model.collaboration!r} exists already"
            ) from None
        return model

    async def remove_model(self, model: RegistryModel) -> None:
        await self.session.execute(
            delete(RegistryModel).where(RegistryModel.model_id == model.model_id)
        )

    # --- versions -----------------------------------------------------------------------------

    async def versions(self, model_id: str) -> Sequence[RegistryModelVersion]:
        rows = await self.session.scalars(
            select(RegistryModelVersion)
            .where(RegistryModelVersion.model_id == model_id)
            .order_by(RegistryModelVersion.submission_date, RegistryModelVersion.id)
        )
        return rows.all()

    async def versions_of_models(self, model_ids: Sequence[str]) -> Sequence[RegistryModelVersion]:
        """The versions of many models in one query (a page of entries)."""
        if not model_ids:
            return []
        rows = await self.session.scalars(
            select(RegistryModelVersion)
            .where(RegistryModelVersion.model_id.in_(model_ids))
            .order_by(RegistryModelVersion.submission_date, RegistryModelVersion.id)
        )
        return rows.all()

    async def version(self, model_id: str, version: str) -> RegistryModelVersion | None:
        result: RegistryModelVersion | None = await self.session.scalar(
            select(RegistryModelVersion).where(
                RegistryModelVersion.model_id == model_id,
                RegistryModelVersion.version == version,
            )
        )
        return result

    async def version_by_id(self, version_id: str) -> RegistryModelVersion | None:
        return await self.session.get(RegistryModelVersion, version_id, populate_existing=True)

    async def add_version(self, version: RegistryModelVersion) -> RegistryModelVersion:
        self.session.add(version)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            raise Conflict(
                f"Version {version.version} of model {version.model_id} exists already"
            ) from None
        return version

    async def lock_blob(self, key: str) -> None:
        """Serialise, until this transaction ends, everyone who adds or drops a use of `key`
        (a submission recording its files, a cleanup deleting unused blobs).

        PostgreSQL: a transaction-scoped advisory lock on the key's hash. SQLite: write
        transactions begin IMMEDIATE (core.db) and so exclude each other; this makes sure the
        transaction has begun (holds the write lock) before the caller looks at the blob.
        """
        if is_postgres(self.session):
            digest = hashlib.sha256(b"registry-blob:" + key.encode()).digest()[:8]
            lock_id = int.from_bytes(digest, "big", signed=True)
            await self.session.execute(select(func.pg_advisory_xact_lock(lock_id)))
        else:
            await self.session.connection()

    async def blob_referenced(self, key: str) -> bool:
        """Whether any version or run still uses the blob `key`."""
        hit = await self.session.scalar(
            select(func.count())
            .select_from(RegistryModelVersion)
            .where(
                or_(
                    RegistryModelVersion.file_key == key,
                    RegistryModelVersion.reference_points_key == key,
                )
            )
        )
        if hit:
            return True
        # companions and artefacts live in JSON columns: check them in Python (small tables)
        for companions in await self.session.scalars(select(RegistryModelVersion.companions)):
            if any(item.get("key") == key for item in companions or []):
                return True
        for artefacts in await self.session.scalars(select(ValidationRun.artefacts)):
            if any(item.get("key") == key for item in (artefacts or {}).values()):
                return True
        return False

    # --- runs ---------------------------------------------------------------------------------

    async def add_run(self, run: ValidationRun) -> ValidationRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def run(self, run_id: str) -> ValidationRun | None:
        return await self.session.get(ValidationRun, run_id, populate_existing=True)

    async def runs_of_versions(self, version_ids: Sequence[str]) -> Sequence[ValidationRun]:
        if not version_ids:
            return []
        rows = await self.session.scalars(
            select(ValidationRun)
            .where(ValidationRun.version_id.in_(version_ids))
            .order_by(ValidationRun.created_at, ValidationRun.id)
        )
        return rows.all()

    async def latest_run(self, version_id: str, *, finished: bool = False) -> ValidationRun | None:
        query = select(ValidationRun).where(ValidationRun.version_id == version_id)
        if finished:
            query = query.where(ValidationRun.finished_at.is_not(None))
        result: ValidationRun | None = await self.session.scalar(
            query.order_by(ValidationRun.created_at.desc(), ValidationRun.id.desc()).limit(1)
        )
        return result

    async def latest_runs(self, version_ids: Sequence[str]) -> dict[str, ValidationRun]:
        """The newest run of each version, in one query (a page of entries)."""
        if not version_ids:
            return {}
        newest = (
            select(
                ValidationRun.id,
                func.row_number()
                .over(
                    partition_by=ValidationRun.version_id,
                    order_by=(ValidationRun.created_at.desc(), ValidationRun.id.desc()),
                )
                .label("rank"),
            )
            .where(ValidationRun.version_id.in_(version_ids))
            .subquery()
        )
        rows = await self.session.scalars(
            select(ValidationRun)
            .join(newest, newest.c.id == ValidationRun.id)
            .where(newest.c.rank == 1)
        )
        return {run.version_id: run for run in rows.all()}

    async def pending_run(self, version_id: str) -> ValidationRun | None:
        result: ValidationRun | None = await self.session.scalar(
            select(ValidationRun)
            .where(
                ValidationRun.version_id == version_id,
                ValidationRun.status.in_(("queued", "running")),
            )
            .limit(1)
        )
        return result

    # --- reviews ------------------------------------------------------------------------------

    async def add_review(self, review: Review) -> Review:
        self.session.add(review)
        await self.session.flush()
        return review

    async def reviews(self, version_ids: Sequence[str]) -> Sequence[Review]:
        if not version_ids:
            return []
        rows = await self.session.scalars(
            select(Review).where(Review.version_id.in_(version_ids)).order_by(Review.id)
        )
        return rows.all()

    # --- webhooks -----------------------------------------------------------------------------

    async def add_webhook(self, webhook: RegistryWebhook) -> RegistryWebhook:
        self.session.add(webhook)
        await self.session.flush()
        return webhook

    async def webhooks(self) -> Sequence[RegistryWebhook]:
        rows = await self.session.scalars(
            select(RegistryWebhook).order_by(RegistryWebhook.created_at, RegistryWebhook.id)
        )
        return rows.all()

    async def webhook(self, webhook_id: str) -> RegistryWebhook | None:
        return await self.session.get(RegistryWebhook, webhook_id)

    async def remove_webhook(self, webhook: RegistryWebhook) -> None:
        await self.session.delete(webhook)
        await self.session.flush()
