"""Meeting outcomes of the real JCA-QKDN 4th meeting executive summary: the seven calls
to action, the consensus on the Terms of Reference, the open-issue list and the
next-meeting agreement — all of them out, each in the summary's own words, none invented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import run
from qkdnassist.config import Settings
from qkdnassist.sentences import split_sentences
from qkdnassist.store.index import Index
from qkdnassist.workflows.outcomes import meeting_outcomes

JCA = "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
SDOS = "ITU-T Study Groups, other SDOs and Forums working on QKDN-related standardization"


def _summary(settings: Settings) -> str:
    return " ".join((Path(settings.corpus) / JCA).read_text(encoding="utf-8").split())


def test_the_seven_calls_to_action_each_with_whom_it_asks(sample_index: Settings) -> None:
    calls = meeting_outcomes(Index(sample_index.index)).of_kind("call_to_action")
    assert [(c.clause, c.to) for c in calls] == [
        ("2", f"other {SDOS}"),
        ("3", "other Member States"),
        ("4", SDOS),
        ("5", "relevant SDOs and groups outside ITU-T"),
        ("5", SDOS),
        ("7", "relevant ITU-T Study Groups, other SDOs and Forums"),
        ("8", "relevant groups"),
    ]
    assert calls[1].text == (
        "JCA-QKDN invites other Member States to share their state of affairs/progress on quantum information "
        "technologies in future meetings."
    )
    assert all(c.doc_id == "JCA-QKDN 4th meeting executive summary" and c.page == 1 for c in calls)
    assert not any(c.text.startswith("Call to action") for c in calls)  # the label is not the call


def test_the_consensus_on_the_terms_of_reference_is_a_decision(sample_index: Settings) -> None:
    decisions = meeting_outcomes(Index(sample_index.index)).of_kind("decision")
    tor = next(d for d in decisions if d.clause == "6")
    assert tor.text == (
        "However, after extensive discussion, the meeting reached consensus to keep the JCA-QKDN ToR unchanged and "
        "provided feedback to TSAG on this matter, see TSAG-TD585."
    )
    assert tor.clause_title == "6 Outcome of discussion related to revision of the Terms of Reference"
    # the other agreement of the summary: the documents reviewed are a reference for the coordination work
    assert [d.clause for d in decisions] == ["2", "6"]
    assert "content agreed to be used as a reference" in decisions[0].text


def test_the_open_issues_are_the_list_of_section_4(sample_index: Settings) -> None:
    issues = meeting_outcomes(Index(sample_index.index)).of_kind("open_issue")
    assert len(issues) == 13
    assert issues[0].text.startswith("What is the current progress on and plans for the development of QKD-related")
    assert issues[-1].text == (
        "What kind of liaison and communication role can the JCA play in quantum technology topics beyond QKD?"
    )
    assert {(i.clause, i.to) for i in issues} == {("4", SDOS)}


def test_the_next_meeting_agreement_with_whom_it_invites(sample_index: Settings) -> None:
    (next_meeting,) = meeting_outcomes(Index(sample_index.index)).of_kind("next_meeting")
    assert next_meeting.clause == "8"
    assert "the meeting agreed to schedule the next JCA-QKDN meeting in early 2025" in next_meeting.text
    assert "The date and format of the next meeting will be announced once confirmed." in next_meeting.text
    assert next_meeting.to.startswith("CEN/CENELEC FG QT and JTC 22") and "IRTF QIRG" in next_meeting.to


def test_nothing_is_invented(sample_index: Settings) -> None:
    report = meeting_outcomes(Index(sample_index.index))
    summary = _summary(sample_index)
    assert len(report.outcomes) == 7 + 2 + 13 + 1
    for outcome in report.outcomes:  # every sentence is the summary's own
        for sentence in split_sentences(outcome.text):
            assert sentence in summary, sentence


@pytest.mark.parametrize("doc", ["ETSI GS QKD 014", "NIST FIPS 203"])
def test_a_specification_has_no_meeting_outcomes(sample_index: Settings, doc: str) -> None:
    assert meeting_outcomes(Index(sample_index.index), doc).outcomes == ()


def test_outcomes_command_json(sample_index: Settings) -> None:
    done = run(["outcomes", "--json"], sample_index)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout)["outcomes"]
    kinds = [o["kind"] for o in outcomes]
    assert kinds.count("call_to_action") == 7 and kinds.count("next_meeting") == 1
    first = outcomes[1]
    assert (first["kind"], first["clause"], first["page"], first["doc_id"]) == (
        "call_to_action",
        "2",
        1,
        "JCA-QKDN 4th meeting executive summary",
    )
    text = run(["outcomes", "JCA-QKDN"], sample_index)
    assert "Calls to action (7):" in text.stdout and "Open issues (13):" in text.stdout
