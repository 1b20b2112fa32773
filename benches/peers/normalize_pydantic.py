"""A Python peer of `voiceport normalize --what list`: the same job, written the way a
Python team would write it, with pydantic v2 models for the vendor fields the normalized
call uses and a pydantic model for the normalized call.

    python3 benches/peers/normalize_pydantic.py {happyrobot|voicebot|rounded} PAGE OUT

Reads a list page, writes the normalized calls as compact JSON to OUT (as
`voiceport normalize` writes to a file). Used by
`cargo bench -p voiceport-cli --bench process` as the baseline of the CLI's bar; the bench
skips it, saying why, when Python or pydantic is missing.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, TypeAdapter


class Vendor(BaseModel):
    """Vendor models ignore the fields the normalizer does not read."""

    model_config = ConfigDict(extra="ignore")


# --- the normalized call -------------------------------------------------------------


class Utterance(BaseModel):
    speaker: str
    text: Optional[str] = None
    start_secs: Optional[float] = None
    end_secs: Optional[float] = None
    at: Optional[datetime] = None


class Transcript(BaseModel):
    utterances: list[Utterance] = []
    text: Optional[str] = None


class CostItem(BaseModel):
    component: str
    amount: float


class Cost(BaseModel):
    total: Optional[float] = None
    currency: Optional[str] = None
    breakdown: list[CostItem] = []


class Analysis(BaseModel):
    summary: Optional[str] = None
    success_evaluation: Optional[str] = None
    extracted: dict[str, Any] = {}


class Call(BaseModel):
    id: str
    provider: str
    status: str
    vendor_status: Optional[str] = None
    end_reason: Optional[str] = None
    direction: Optional[str] = None
    from_: Optional[str] = None
    to: Optional[str] = None
    agent_id: Optional[str] = None
    organization_id: Optional[str] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    duration_secs: Optional[float] = None
    transcript: Optional[Transcript] = None
    recording_url: Optional[str] = None
    cost: Optional[Cost] = None
    analysis: Analysis = Analysis()
    metadata: dict[str, Any] = {}
    tags: list[str] = []


# --- HappyRobot ----------------------------------------------------------------------


class HrMetadata(Vendor):
    from_: Optional[str] = None
    to: Optional[str] = None
    tags: list[str] = []
    custom: dict[str, Any] = {}

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def __init__(self, **data: Any) -> None:
        if "from" in data:
            data["from_"] = data.pop("from")
        super().__init__(**data)


class HrUseCase(Vendor):
    id: Optional[str] = None
    name: Optional[str] = None


class HrCostPart(Vendor):
    total_cost: Optional[float] = None


class HrCosts(Vendor):
    total_costs: Optional[float] = None
    voip: Optional[HrCostPart] = None
    transcriber: Optional[HrCostPart] = None
    llm: Optional[HrCostPart] = None
    tts: Optional[HrCostPart] = None


class HrCall(Vendor):
    id: str
    organization_id: Optional[str] = None
    type: Optional[str] = None
    status: Optional[str] = None
    metadata: Optional[HrMetadata] = None
    use_case: Optional[HrUseCase] = None
    extraction: Optional[dict[str, Any]] = None
    classification: Optional[dict[str, Any]] = None
    created: Optional[datetime] = None
    duration: Optional[float] = None
    costs: Optional[HrCosts] = None


class HrPage(Vendor):
    calls: list[HrCall]


HR_STATUS = {
    "Completed": "completed",
    "Failed": "failed",
    "Canceled": "canceled",
    "Busy": "busy",
    "No Answer": "no_answer",
    "In Progress": "in_progress",
    "Queued": "queued",
    "Ringing": "ringing",
}


def happyrobot(page: bytes) -> list[Call]:
    out = []
    for c in HrPage.model_validate_json(page).calls:
        meta = c.metadata or HrMetadata()
        cost = None
        if c.costs is not None:
            parts = [
                CostItem(component=name, amount=part.total_cost)
                for name, part in (
                    ("voip", c.costs.voip),
                    ("transcriber", c.costs.transcriber),
                    ("llm", c.costs.llm),
                    ("tts", c.costs.tts),
                )
                if part is not None and part.total_cost is not None
            ]
            cost = Cost(total=c.costs.total_costs, breakdown=parts)
        out.append(
            Call(
                id=c.id,
                provider="happyrobot",
                status=HR_STATUS.get(c.status or "", "unknown"),
                vendor_status=c.status,
                direction=(c.type or "").lower() or None,
                from_=meta.from_,
                to=meta.to,
                agent_id=c.use_case.id if c.use_case else None,
                organization_id=c.organization_id,
                created_at=c.created,
                duration_secs=c.duration,
                cost=cost,
                analysis=Analysis(extracted=c.extraction or {}),
                metadata=meta.custom,
                tags=meta.tags,
            )
        )
    return out


# --- Voicebot Studio (Vapi's call model) ---------------------------------------------


class VbMessage(Vendor):
    role: Optional[str] = None
    message: Optional[str] = None
    time: Optional[float] = None
    endTime: Optional[float] = None
    secondsFromStart: Optional[float] = None


class VbParty(Vendor):
    number: Optional[str] = None


class VbAnalysis(Vendor):
    summary: Optional[str] = None
    successEvaluation: Optional[Any] = None
    structuredData: Optional[dict[str, Any]] = None


class VbCall(Vendor):
    id: str
    type: Optional[str] = None
    status: Optional[str] = None
    endedReason: Optional[str] = None
    orgId: Optional[str] = None
    assistantId: Optional[str] = None
    createdAt: Optional[datetime] = None
    startedAt: Optional[datetime] = None
    endedAt: Optional[datetime] = None
    customer: Optional[VbParty] = None
    phoneNumber: Optional[VbParty] = None
    messages: list[VbMessage] = []
    transcript: Optional[str] = None
    recordingUrl: Optional[str] = None
    cost: Optional[float] = None
    analysis: Optional[VbAnalysis] = None


SPEAKER = {"bot": "agent", "assistant": "agent", "user": "customer", "system": "system"}


def voicebot(page: bytes) -> list[Call]:
    out = []
    for c in TypeAdapter(list[VbCall]).validate_json(page):
        utterances = []
        for m in c.messages:
            end = None
            if m.secondsFromStart is not None and m.time is not None and m.endTime is not None:
                end = m.secondsFromStart + (m.endTime - m.time) / 1000
            utterances.append(
                Utterance(
                    speaker=SPEAKER.get(m.role or "", "tool"),
                    text=m.message,
                    start_secs=m.secondsFromStart,
                    end_secs=end,
                    at=datetime.fromtimestamp(m.time / 1000) if m.time else None,
                )
            )
        duration = None
        if c.startedAt and c.endedAt:
            duration = (c.endedAt - c.startedAt).total_seconds()
        inbound = c.type == "inboundPhoneCall"
        customer = c.customer.number if c.customer else None
        own = c.phoneNumber.number if c.phoneNumber else None
        analysis = c.analysis or VbAnalysis()
        out.append(
            Call(
                id=c.id,
                provider="voicebot",
                status="completed" if c.status == "ended" else (c.status or "unknown"),
                vendor_status=c.status,
                end_reason=c.endedReason,
                direction="inbound" if inbound else "outbound",
                from_=customer if inbound else own,
                to=own if inbound else customer,
                agent_id=c.assistantId,
                organization_id=c.orgId,
                created_at=c.createdAt,
                started_at=c.startedAt,
                ended_at=c.endedAt,
                duration_secs=duration,
                transcript=Transcript(utterances=utterances, text=c.transcript),
                recording_url=c.recordingUrl,
                cost=Cost(total=c.cost, currency="USD") if c.cost is not None else None,
                analysis=Analysis(
                    summary=analysis.summary,
                    success_evaluation=None
                    if analysis.successEvaluation is None
                    else str(analysis.successEvaluation),
                    extracted=analysis.structuredData or {},
                ),
            )
        )
    return out


# --- Rounded -------------------------------------------------------------------------


class RdTurn(Vendor):
    role: Optional[str] = None
    start_time: Optional[datetime] = None
    content: Optional[str] = None


class RdVariable(Vendor):
    name: str
    value: Optional[Any] = None


class RdCall(Vendor):
    id: str
    organization_id: Optional[str] = None
    agent_id: Optional[str] = None
    status: Optional[str] = None
    metadata: Optional[dict[str, Any]] = None
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    duration_seconds: Optional[float] = None
    cost: Optional[float] = None
    transcript_string: Optional[str] = None
    transcript: list[RdTurn] = []
    variable_values: list[RdVariable] = []
    from_number: Optional[str] = None
    to_number: Optional[str] = None
    direction: Optional[str] = None
    recording_url: Optional[str] = None


class RdPage(Vendor):
    data: list[RdCall]


def rounded(page: bytes) -> list[Call]:
    out = []
    for c in RdPage.model_validate_json(page).data:
        utterances = [
            Utterance(
                speaker="agent" if t.role == "agent" else "customer",
                text=t.content,
                start_secs=(t.start_time - c.start_time).total_seconds()
                if t.start_time and c.start_time
                else None,
                at=t.start_time,
            )
            for t in c.transcript
        ]
        out.append(
            Call(
                id=c.id,
                provider="rounded",
                status=c.status or "unknown",
                vendor_status=c.status,
                direction=c.direction,
                from_=c.from_number,
                to=c.to_number,
                agent_id=c.agent_id,
                organization_id=c.organization_id,
                started_at=c.start_time,
                ended_at=c.end_time,
                duration_secs=c.duration_seconds,
                transcript=Transcript(utterances=utterances, text=c.transcript_string),
                recording_url=c.recording_url,
                cost=Cost(total=c.cost, currency="USD") if c.cost is not None else None,
                analysis=Analysis(extracted={v.name: v.value for v in c.variable_values}),
                metadata=c.metadata or {},
            )
        )
    return out


def main() -> None:
    vendor, page, out = sys.argv[1], sys.argv[2], sys.argv[3]
    normalize = {"happyrobot": happyrobot, "voicebot": voicebot, "rounded": rounded}[vendor]
    with open(page, "rb") as f:
        calls = normalize(f.read())
    with open(out, "wb") as f:
        f.write(TypeAdapter(list[Call]).dump_json(calls))


if __name__ == "__main__":
    main()
