"""Pydantic models shared by every resource: problems, pages, paging parameters, and
rendering a model as a JSON response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sanic.response import HTTPResponse

from evaluator.services.approved_cards import CardText
from evaluator.services.listing import MAX_PAGE, MAX_PER_PAGE, Page

Item = TypeVar("Item", bound=BaseModel)


class Out(BaseModel):
    """Base of response models: built from ORM objects or dicts."""

    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """Base of request bodies and query strings: unknown keys are refused (a typo in a
    filter must not silently match everything)."""

    model_config = ConfigDict(extra="forbid")


class LocatedProblem(BaseModel):
    """One thing wrong, located (JSON path of a body field, or line and path in a YAML
    indicator system), in English and Chinese."""

    en: str
    zh: str
    where: str = ""
    file: str | None = None
    line: int | None = None
    path: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class ProblemDocument(BaseModel):
    """RFC 7807 problem details (``application/problem+json``)."""

    type: str = Field(description="https://evaluator.example/problems/<slug>")
    title: str
    title_zh: str
    status: int
    detail: str
    problems: list[LocatedProblem] = []
    instance: str | None = None


class Paging(In):
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"1-based page number (at most {MAX_PAGE})")
    per_page: int = Field(
        20, ge=1, le=MAX_PER_PAGE, description=f"items per page (at most {MAX_PER_PAGE})"
    )


class FullPaging(Paging):
    """Paging whose page holds as many items as allowed by default (scores, findings)."""

    per_page: int = Field(
        MAX_PER_PAGE, ge=1, le=MAX_PER_PAGE, description=f"items per page (at most {MAX_PER_PAGE})"
    )


class PageOut(BaseModel, Generic[Item]):
    items: list[Item]
    page: int
    per_page: int
    total: int


def page_of(model: type[PageOut], page: Page) -> PageOut:
    """A service ``Page`` of ORM objects as the response model ``model``."""
    item = model.model_fields["items"].annotation.__args__[0]
    return model(
        items=[item.model_validate(x) for x in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
    )


def render(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    return HTTPResponse(
        model.model_dump_json(), status=status, headers=headers, content_type="application/json"
    )


def rendered(model: type[BaseModel]) -> Callable[[dict], str]:
    """A service's document → the JSON text of ``model`` (validated, as :func:`render`)."""
    return lambda document: model.model_validate(document).model_dump_json()


def card_response(text: CardText, if_none_match: str | None) -> HTTPResponse:
    """A scorecard's JSON text with its ETag, or 304 when the client holds that text
    already. ``no-cache``: a client revalidates every time (the permission checks run
    before the 304), and nothing is kept by shared caches (``private``)."""
    headers = {"ETag": text.etag, "Cache-Control": "private, no-cache"}
    if text.matches(if_none_match):
        return HTTPResponse(status=304, headers=headers)
    return HTTPResponse(text.body, headers=headers, content_type="application/json")


def etag(version: int) -> dict[str, str]:
    """The ``ETag`` header of an object with an optimistic-concurrency version."""
    return {"ETag": f'"{version}"'}


# shared by the findings, tranches and appeals resources
Severity = Literal["observation", "correction", "suspension", "termination"]
Basis = Literal["official", "provisional", "override"]
