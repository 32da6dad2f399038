"""The request and response bodies of the v1 API (field names of the entity service v1.13).

Fields marked "pprl extension" are additions an entity-service client never
sends; they have defaults that keep the entity service's behaviour.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NewProject", "NewProjectResponse", "ProjectDescription", "ProjectListItem",
           "NewRun", "RunDescription", "RunListItem", "UploadReceipt", "ProblemModel",
           "ServiceStatus", "Version", "RunStatus", "RESULT_TYPES"]

RESULT_TYPES = ("groups", "permutations", "similarity_scores")


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


class ServiceStatus(BaseModel):
    """``GET /status``."""

    status: str
    project_count: int
    rate: int


class Version(BaseModel):
    """``GET /version``."""

    pprl: str
    entityservice: str
    python: str


class NewProject(BaseModel):
    """``POST /projects``."""

    model_config = ConfigDict(populate_by_name=True)
    linkage_schema: dict = Field(alias="schema",
                                 description="The linkage schema the parties agreed on "
                                             "(clkhash's format); stored, shown to the parties")
    result_type: Literal["groups", "permutations", "similarity_scores"]
    number_parties: int = Field(2, ge=2, le=1000)
    name: str = ""
    notes: str = ""
    uses_blocking: bool = False


class NewProjectResponse(BaseModel):
    """``POST /projects``: the identifiers and the tokens (shown once)."""

    project_id: str
    update_tokens: list[str]
    result_token: str


class ProjectDescription(BaseModel):
    """``GET /projects/{project_id}``."""

    model_config = ConfigDict(populate_by_name=True)
    project_id: str
    linkage_schema: dict = Field(alias="schema")
    result_type: str
    number_parties: int
    name: str
    notes: str
    uses_blocking: bool
    parties_contributed: int
    error: bool


class ProjectListItem(BaseModel):
    """One row of ``GET /projects``."""

    project_id: str
    time_added: str


class UploadReceipt(BaseModel):
    """``POST …/clks`` and ``…/binaryclks``."""

    receipt_token: str
    message: str


class NewRun(BaseModel):
    """``POST /projects/{project_id}/runs``."""

    threshold: float = Field(ge=0.0, le=1.0, description="Dice threshold in [0, 1]")
    name: str = ""
    notes: str = ""
    blocking: Literal["none", "lsh"] = Field(
        "none", description="pprl extension: 'lsh' compares only pairs that share a bucket of "
                            "Hamming LSH (parameters chosen for target_pc)")
    target_pc: float = Field(0.99, gt=0.0, lt=1.0,
                             description="pprl extension: pair completeness LSH must reach")
    solver: Literal["greedy", "optimal"] = Field(
        "greedy", description="pprl extension: the one-to-one matching of 'permutations'")
    k: int | None = Field(None, ge=1, description="pprl extension: keep the k best candidates "
                                                  "per record of the first party")
    seed: int | None = Field(None, ge=0, lt=2**63,
                             description="pprl extension: seed of LSH and of the permutations "
                                         "(default: random)")


class RunDescription(BaseModel):
    """``GET /projects/{project_id}/runs/{run_id}`` and ``POST …/runs``."""

    run_id: str
    threshold: float
    name: str
    notes: str
    blocking: str
    target_pc: float
    solver: str
    k: int | None
    seed: int | None


class RunListItem(BaseModel):
    """One row of ``GET /projects/{project_id}/runs``."""

    run_id: str
    time_added: str
    state: str


class Progress(BaseModel):
    """How far the current stage is."""

    absolute: int = Field(ge=0)
    relative: float = Field(ge=0.0, le=1.0)
    description: str


class Stage(BaseModel):
    """The current stage of a run."""

    number: int = Field(ge=1)
    description: str
    progress: Progress | None = None


class RunStatus(BaseModel):
    """``GET …/runs/{run_id}/status``."""

    state: Literal["created", "queued", "running", "completed", "error"]
    stages: int
    current_stage: Stage
    time_added: str
    time_started: str | None = None
    time_completed: str | None = None
    message: str | None = None
    quality: dict | None = Field(None, description="pprl extension: the quality of a 2-party "
                                 "result estimated without truth (the MATCHES.quality.json "
                                 "format); shown to the result token only")
