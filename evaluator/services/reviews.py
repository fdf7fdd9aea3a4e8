"""The one way a reviewed object (an evidence file, a citation) gets its review: accepted,
or rejected / insufficient with a comment; versioned and audited."""

from __future__ import annotations

from tortoise.models import Model
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import ConflictError, InvalidInput, Problem
from evaluator.services import audit
from evaluator.services.actors import Actor
from evaluator.store.base import ReviewStatus


def check_review(status: ReviewStatus, comment: str) -> None:
    if status == ReviewStatus.PENDING:
        raise InvalidInput(
            Problem(
                "a review must accept, reject or mark insufficient",
                "审核结果须为通过、退回或不充分",
                path="status",
            )
        )
    if status != ReviewStatus.ACCEPTED and not comment.strip():
        raise InvalidInput(
            Problem(
                "a rejection or insufficiency needs a comment",
                "退回或不充分须填写意见",
                path="comment",
            )
        )


async def record_review(
    actor: Actor,
    record: Model,
    *,
    comment_field: str,
    status: ReviewStatus,
    comment: str,
    expected_version: int,
    action: str,
    changed: Problem,
):
    """Write the review if ``record`` is still at ``expected_version`` (else ``changed`` as a
    ConflictError), with its audit event; return the record as stored."""
    check_review(status, comment)
    model = type(record)
    async with in_transaction() as conn:
        before = {
            "status": record.status.value,
            "comment": getattr(record, comment_field),
            "version": record.version,
        }
        updated = (
            await model.filter(id=record.id, version=expected_version)
            .using_db(conn)
            .update(
                status=status,
                reviewer_id=actor.user_id,
                reviewed_at=clock.now(),
                version=expected_version + 1,
                **{comment_field: comment},
            )
        )
        if updated != 1:
            raise ConflictError(changed)
        await audit.record(
            actor.username,
            action,
            action.split(".")[0],
            record.id,
            before,
            {"status": status.value, "comment": comment, "version": expected_version + 1},
            connection=conn,
        )
    return await model.get(id=record.id)
