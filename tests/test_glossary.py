"""Terminology: parsing terms/abbreviations clauses (literal snippets of the sample
documents) and the glossary of a real index (the subset fixture)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from qkdnassist.app.render import definition_json
from qkdnassist.citations import format_citation
from qkdnassist.config import Settings
from qkdnassist.search.quotes import check_citation
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from qkdnassist.types import Chunk, Page
from qkdnassist.workflows import glossary as glossary_module
from qkdnassist.workflows.glossary import (
    Definition,
    Glossary,
    clause_lines,
    define,
    definition_citation,
    differs,
)
from qkdnassist.workflows.lexicon import abbreviation_like, expansion_of
from qkdnassist.workflows.terms import clause_kind, parse_entries

# --- literal snippets, copied from the sample documents' stored page texts -----------

ETSI_TERMS = """3.1 Terms
For the purposes of the present document, the following terms apply:
Application Programming Interface (API): interface implemented by a software program to be able to interact with
other software programs
key: random digital data with an associated universally unique ID
key container: JSON data format containing key data
NOTE: As specified in clause 6.3.
Key Management Entity (KME): entity that manages keys in a network in cooperation with one or more other Key
Management Entities
QKD link: link connecting a pair of QKD Entities"""

ETSI_ABBREVIATIONS = """3.3 Abbreviations
For the purposes of the present document, the following abbreviations apply:
API Application Programming Interface
KME Key Management Entity
QKDE QKD Entity
QoS Quality of Service
SAE Secure Application Entity
UTF-8 UCS Transformation Format 8 bits"""

FIPS_203_TERMS = """2.1 Terms and Definitions
(KEM) ciphertext A bit string that is produced by encapsulation and used as an input to
decapsulation.
cryptographic
module
The set of hardware, software, and/or firmware that implements ap-
proved cryptographic functions (including key generation) that are con-
tained within the cryptographic boundary of the module.
decapsulation key A cryptographic key produced by a KEM during key generation and used
during the decapsulation process. The decapsulation key must be kept
private and must be destroyed after it is no longer needed. (See Section
3.3.)
decryption key A cryptographic key that is used with a PKE in order to decrypt cipher-
texts into plaintexts. The decryption key must be kept private and must
be destroyed after it is no longer needed."""

# FIPS 203 page 12: the text layer printed the two-column table column after column.
FIPS_203_COLUMNS = """FIPS 203
hash function
input checking
key
key-encapsulation
mechanism (KEM)
key establishment
MODULE-LATTICE-BASED KEY-ENCAPSULATION MECHANISM
A function on bit strings in which the length of the output is fixed.
Approved hash functions (such as those specified in FIPS 180 [5] and
FIPS 202 [6]) are designed to satisfy the following properties:
Examination of a potential input to an algorithm for the purpose of
determining whether it conforms to certain requirements.
A bit string that is used in conjunction with a cryptographic algorithm,
such as the encapsulation and decapsulation keys (of a KEM), the shared
secret key (produced by a KEM), and the encryption and decryption
keys (of a PKE). (See Section 3.3.)
A set of three cryptographic algorithms (KeyGen, Encaps, and Decaps)
that can be used by two parties to establish a shared secret key over a
public channel."""

FIPS_204_TERMS = """claimed signa
tory From the verifier's perspective, the claimed signatory is the entity that pur-
portedly generated a digital signature.
destroy An action applied to a key or a piece of secret data. After a key or a piece of
secret data is destroyed, no information about its value can be recovered.
en
tity An individual person, organization, device, or process. Used interchangeably
with party.
hash value See message digest.
key A parameter used in conjunction with a cryptographic algorithm that deter-
mines its operation. Examples of cryptographic algorithms applicable to this
standard include:
1. The computation of a digital signature from data
2. The verification of a digital signature
key pair A public key and its corresponding private key."""

FIPS_204_ACRONYMS = """2.2 Acronyms
AES Advanced Encr yption Standard
ML-DSA Module-Lattice-Based Digital Signature Algorithm
NIST IR NIST Interagency or Internal Report
SUF-CMA Strongly existentially UnForgeable under Chosen Message Attack
XOF eXtendable-Output Function"""

GSMA_PQ01_DEFINITIONS = """A.1 Definitions
Term  Description
Cryptographic Agility A product is said to be Cryptographically Agile (or Crypto Agile) if it includes
the possibility to update its cryptographic algorithms without recalling it or
substituting it with a new one.
Cryptographically
Relevant Quantum
Computer

Describes quantum computers that can attack real world cryptographic
systems that would be infeasible to attack with a normal computer.
Post-
Quantum/Traditional
(PQ/T) Hybrid
Scheme
A cryptographic scheme made up of two or more component algorithms
where at least one is a post-quantum algorithm and at least one is a
traditional algorithm.
PQ/T Hybrid Key
Encapsulation
Mechanism
A Key Encapsulation Mechanism (KEM) made up of two or more
component KEM algorithms where at least one is asymmetric post-
quantum algorithm and at least one is a traditional algorithm (IETF [90]).
Quantum-Safe Generally accepted to be invulnerable or resistant to cryptanalysis by quantum computers.
Shelf time The length of time for which plaintext data needs to be kept confidential."""

GSMA_PQ02_DEFINITIONS = """2.2 Definitions
Term  Description
NIST RMF
NIST SP 800-37 – Risk Management Framework for Information
Systems and Organizations: A System Life Cycle Approach for
Security and Privacy [2]
Crypto agility
The ability of an entity to replace existing cryptographic primitives,
algorithms, or protocols with a new alternative quickly, inexpensively,
with no or acceptable risk
Quantum Risk
Management
The management of risks related to quantum computing.
NIST CSF Tiered framework detailing qualitative measures on organisational cybersecurity Risk management practices"""

ANSSI_GLOSSARY = """6 Glossary
Term Definition
Classically secure
public-key
cryptography
Public-key cryptographic mechanisms which are, in contrast to post-quantum
cryptography, not secure against attacks by large-scale quantum computers. This includes
RSA and elliptic-curve cryptography.
One-time pad A symmetric encryption scheme which provides perfect secrecy, in the sense that no
information about the plaintext can be derived from the ciphertext.
Public-key
cryptography
Also known as asymmetric cryptography. A form of cryptography where a key pair,
consisting of a public key and a private key, is used for all operations."""

GSMA_PQ03_TERMINOLOGY = """B.2 Terminology
In August 2023 NIST released initial public draft standards for Post-Quantum Cryptography
as part of the Post-Quantum Cryptography Standardization Project. The initial public drafts
introduced formal names for the standardised PQC algorithms.
The final standards were published in August 2024.
This document uses the new names for the PQC algorithms: ML-KEM, ML-DSA, SLH-DSA
and FN-DSA. This ensures commonality with the standards, and reduces confusion. The
historic names (CRYSTALS-Kyber, CRYSTALS-Dilithium, SPHINCS+, Falcon and variants)
are only used when referring to information about the original submissions."""


def _pairs(text: str, *, abbreviations_only: bool = False) -> list[tuple[str, str, str]]:
    return [(e.term, e.kind, e.text) for e in parse_entries(text, abbreviations_only=abbreviations_only)]


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("3 Definition of terms, symbols and abbreviations > 3.1 Terms", "terms"),
        ("3 Definition of terms, symbols and abbreviations > 3.3 Abbreviations", "abbreviations"),
        ("2 Terms, Acronyms, and Notation > 2.2 Acronyms", "abbreviations"),
        ("Annex B Definitions, Terminology and Abbreviations > B.1 Definitions", "terms"),
        ("6 Glossary", "terms"),
        ("2 Terms, Acronyms, and Notation > 2.4 Interpreting the Pseudocode", None),
        ("Annex A Definitions, Abbreviations and References > A.3 References", None),
        ("6 Outcome of discussion related to revision of the Terms of Reference", None),
        ("5.3 Short-term measures", None),
        ("", None),
    ],
)
def test_clause_kind_reads_the_innermost_title(title: str, kind: str | None) -> None:
    assert clause_kind(title) == kind


@pytest.mark.parametrize(
    ("abbreviation", "text", "expansion"),
    [
        ("KME", "Key Management Entity", "Key Management Entity"),
        ("SAE", "System Architecture Evolution", "System Architecture Evolution"),
        ("QKDE", "QKD Entity", "QKD Entity"),
        ("XOF", "eXtendable-Output Function", "eXtendable-Output Function"),
        ("XOF", "Extendable-Output Function", "Extendable-Output Function"),
        ("3GPP", "The 3rd Generation Partnership Project", "The 3rd Generation Partnership Project"),
        ("M2M", "Machine to Machine", "Machine to Machine"),
        ("OID", "Object Identifier", "Object Identifier"),
        ("RSA", "Rivest, Shamir and Adleman – the most widely-used public-key algorithm", "Rivest, Shamir and Adleman"),
        (
            "NIST",
            "National Institute of Standards and Technology, US Department of Commerce",
            "National Institute of Standards and Technology",
        ),
        ("KME", "Quantum Key Distribution", None),
        ("NIST", "IR NIST Interagency or Internal Report", None),
        ("SP", "Special Publication of the institute that is long and wordy", None),
        ("FIPS", "203 [5] and FIPS 202", None),
    ],
)
def test_expansion_of_needs_the_letters_in_order(abbreviation: str, text: str, expansion: str | None) -> None:
    assert expansion_of(abbreviation, text) == expansion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("KME", True), ("ML-DSA", True), ("5G AKA", True), ("NIST IR", True), ("QoS", True), ("eUICC", True)],
        *[("Key", False), ("key pair", False), ("2", False), ("KME Key", False), ("A B C D", False)],
    ],
)
def test_abbreviation_like(text: str, expected: bool) -> None:
    assert abbreviation_like(text) is expected


def test_etsi_terms_are_read_at_their_colon() -> None:
    entries = parse_entries(ETSI_TERMS)
    assert [(e.term, e.kind) for e in entries] == [
        ("Application Programming Interface (API)", "term"),
        ("key", "term"),
        ("key container", "term"),
        ("Key Management Entity (KME)", "term"),
        ("QKD link", "term"),
    ]
    kme = entries[3]
    assert kme.text == (
        "entity that manages keys in a network in cooperation with one or more other Key Management Entities"
    )
    assert entries[2].text == "JSON data format containing key data"  # the NOTE is not part of it
    assert [line for _, line in kme.lines] == ETSI_TERMS.split("\n")[7:9]


def test_etsi_abbreviations_are_rows() -> None:
    assert _pairs(ETSI_ABBREVIATIONS, abbreviations_only=True) == [
        ("API", "abbreviation", "Application Programming Interface"),
        ("KME", "abbreviation", "Key Management Entity"),
        ("QKDE", "abbreviation", "QKD Entity"),
        ("QoS", "abbreviation", "Quality of Service"),
        ("SAE", "abbreviation", "Secure Application Entity"),
        ("UTF-8", "abbreviation", "UCS Transformation Format 8 bits"),
    ]


def test_nist_terms_wrapped_over_lines() -> None:
    entries = parse_entries(FIPS_203_TERMS, words=Counter({"approved": 40, "ciphertexts": 5}))
    assert [e.term for e in entries] == [
        "(KEM) ciphertext",
        "cryptographic module",
        "decapsulation key",
        "decryption key",
    ]
    assert entries[1].text.startswith("The set of hardware, software, and/or firmware that implements approved crypto")
    assert entries[2].text.endswith("no longer needed. (See Section 3.3.)")
    assert "decrypt ciphertexts into plaintexts" in entries[3].text


def test_a_column_split_table_yields_no_guessed_pairs() -> None:
    assert parse_entries(FIPS_203_COLUMNS) == []


def test_words_broken_by_the_text_layer_are_rejoined() -> None:
    words = Counter({"signatory": 19, "signa": 4, "tory": 1, "entity": 50, "en": 1, "tity": 1, "encryption": 30})
    entries = parse_entries(FIPS_204_TERMS, words=words)
    assert [e.term for e in entries] == ["claimed signatory", "destroy", "entity", "hash value", "key", "key pair"]
    assert entries[0].text.startswith("From the verifier's perspective, the claimed signatory is the entity")
    assert entries[4].text.endswith("2. The verification of a digital signature")  # the list belongs to "key"
    acronyms = parse_entries(FIPS_204_ACRONYMS, abbreviations_only=True, words=words)
    assert [(e.term, e.expansion) for e in acronyms] == [
        ("AES", "Advanced Encryption Standard"),
        ("ML-DSA", "Module-Lattice-Based Digital Signature Algorithm"),
        ("NIST IR", "NIST Interagency or Internal Report"),
        ("SUF-CMA", "Strongly existentially UnForgeable under Chosen Message Attack"),
        ("XOF", "eXtendable-Output Function"),
    ]
    assert [line for _, line in acronyms[0].lines] == ["AES Advanced Encr yption Standard"]  # quoted as printed


def test_gsma_definitions_table() -> None:
    entries = parse_entries(GSMA_PQ01_DEFINITIONS)
    assert [e.term for e in entries] == [
        "Cryptographic Agility",
        "Cryptographically Relevant Quantum Computer",
        "Post-Quantum/Traditional (PQ/T) Hybrid Scheme",
        "PQ/T Hybrid Key Encapsulation Mechanism",
        "Quantum-Safe",
        "Shelf time",
    ]
    assert entries[3].text.endswith("at least one is a traditional algorithm (IETF [90]).")
    assert (
        entries[4].text == "Generally accepted to be invulnerable or resistant to cryptanalysis by quantum computers."
    )


def test_definitions_without_a_final_stop() -> None:
    entries = parse_entries(GSMA_PQ02_DEFINITIONS)
    assert [e.term for e in entries] == ["NIST RMF", "Crypto agility", "Quantum Risk Management", "NIST CSF"]
    assert entries[0].text.endswith("A System Life Cycle Approach for Security and Privacy [2]")
    assert entries[1].text.endswith("with no or acceptable risk")


def test_anssi_glossary() -> None:
    entries = parse_entries(ANSSI_GLOSSARY)
    assert [e.term for e in entries] == [
        "Classically secure public-key cryptography",
        "One-time pad",
        "Public-key cryptography",
    ]
    assert entries[2].text.startswith("Also known as asymmetric cryptography.")


def test_prose_under_a_terminology_heading_yields_nothing() -> None:
    assert parse_entries(GSMA_PQ03_TERMINOLOGY) == []


def test_abbreviation_rows_that_do_not_spell_their_letters_are_dropped() -> None:
    rows = [
        "KME Quantum Key Distribution",
        "LAMPS Limited Additional Mechanisms for PKIX (Public Key Exchange) and SMIME (Secure/Multipurpose "
        "Internet Mail Extensions)",  # one printed line (GSMA PQ.03): too long to be a plain expansion
        "LCS LifeCycle Service",
        "TN Trusted Node",
    ]
    assert _pairs("\n".join(rows), abbreviations_only=True) == [
        ("LCS", "abbreviation", "LifeCycle Service"),
        ("TN", "abbreviation", "Trusted Node"),
    ]


def test_clause_lines_follow_the_chunks_on_their_pages() -> None:
    page = Page(
        8,
        "ETSI GS QKD 014 V1.1.1 (2019-02) 8\n3.2 Symbols\nVoid.\n3.3 Abbreviations\n"
        "For the purposes of the present document, the following abbreviations apply:\n"
        "API Application Programming Interface\nHTTP Hyper Text Transfer Protocol\n"
        "4 Key delivery API Specification Overview\n",
    )
    text = (
        "3.3 Abbreviations\nFor the purposes of the present document, the following abbreviations apply: "
        "API Application Programming Interface HTTP Hyper Text Transfer Protocol"
    )
    chunk = Chunk("id", "s.pdf", "D", "T", "ETSI", "V1", "3.3", "3.3 Abbreviations", 8, 8, "8", text, 0)
    lines = clause_lines([chunk], [Page(7, "3.3 Abbreviations"), page])
    assert [line for _, line in lines] == page.text.split("\n")[3:7]
    assert {number for number, _ in lines} == {8}


# --- hand-built definitions -------------------------------------------------------------


def _definition(term: str, text: str, body: str, *, kind: str = "abbreviation", doc_id: str = "") -> Definition:
    return Definition(
        term=term,
        kind=kind,  # type: ignore[arg-type]
        text=text,
        source=f"{body.lower()}/doc.pdf",
        doc_id=doc_id or f"{body} DOC",
        body=body,
        edition="V1",
        clause="3",
        page=1,
        quote=f"{term} {text}",
    )


SAE_ETSI = _definition("SAE", "Secure Application Entity", "ETSI")
SAE_GSMA = _definition("SAE", "System Architecture Evolution", "GSMA")


def test_differs_when_two_bodies_expand_differently() -> None:
    assert differs([SAE_ETSI, SAE_GSMA])
    same = [
        _definition("PQC", "Post-Quantum Cryptography", "NIST"),
        _definition("PQC", "Post Quantum Cryptography", "GSMA"),
    ]
    assert not differs(same)
    one_body = [SAE_ETSI, _definition("SAE", "Something Altogether Else", "ETSI", doc_id="ETSI GS QKD 004")]
    assert not differs(one_body)  # one body may use two meanings; only bodies are compared
    term = _definition("SAE", "an entity that requests keys", "GSMA", kind="term")
    assert not differs([SAE_ETSI, term])  # a definition is not compared with an expansion


def test_expansions_per_body_and_the_query_expansion() -> None:
    glossary = Glossary([SAE_ETSI, SAE_GSMA, _definition("KME", "Key Management Entity", "ETSI")])
    assert glossary.expansions("SAE") == {
        "ETSI": {"Secure Application Entity"},
        "GSMA": {"System Architecture Evolution"},
    }
    assert glossary.expansions("SAE", by="doc_id", doc_ids=["GSMA DOC"]) == {
        "GSMA DOC": {"System Architecture Evolution"}
    }
    assert glossary.expand_query("Which SAE?") == "Which SAE? Secure Application Entity System Architecture Evolution"
    assert glossary.expand_query("Which SAE?", doc_ids=["ETSI DOC"]) == "Which SAE? Secure Application Entity"
    assert glossary.expand_query("the sae and the kme") == "the sae and the kme"  # case-sensitive
    assert glossary.expand_query("KMEs of a KME Key Management Entity") == "KMEs of a KME Key Management Entity"
    assert glossary.expand_query("an unKME KME") == "an unKME KME Key Management Entity"  # whole tokens only
    assert glossary.expand_query("KME-like") == "KME-like"
    ambiguous = Glossary([SAE_ETSI, SAE_GSMA, _definition("SAE", "Simultaneous Authentication of Equals", "IEEE")])
    assert ambiguous.expand_query("Which SAE?") == "Which SAE?"


# --- the glossary of a real index ----------------------------------------------------------


@pytest.fixture(scope="module")
def glossary(searcher: Searcher) -> Glossary:
    return Glossary.build(searcher.index)


def test_build_is_cached_per_index_generation(searcher: Searcher, glossary: Glossary) -> None:
    assert Glossary.build(searcher.index) is glossary
    assert glossary.generation == searcher.index.generation


def test_entries_per_document(glossary: Glossary) -> None:
    counts = Counter((d.doc_id, d.kind) for d in glossary.definitions)
    assert counts[("ETSI GS QKD 014", "term")] == 13
    assert counts[("ETSI GS QKD 014", "abbreviation")] == 19
    assert counts[("NIST FIPS 203", "abbreviation")] == 17
    assert counts[("NIST FIPS 203", "term")] >= 15
    assert counts[("ANSSI/BSI/NLNCSA/SAF Position Paper on QKD", "term")] == 11
    assert not {d.doc_id for d in glossary.definitions} & {
        "draft-irtf-qirg-principles",
        "JCA-QKDN 4th meeting executive summary",
    }


def test_every_definition_is_quoted_on_its_page(searcher: Searcher, glossary: Glossary) -> None:
    index: Index = searcher.index
    for definition in glossary.definitions:
        assert check_citation(definition_citation(definition), index.pages(definition.source)), definition


def test_kme_is_key_management_entity_in_etsi_gs_qkd_014(searcher: Searcher, glossary: Glossary) -> None:
    report = define(glossary, "KME")
    abbreviation = next(d for d in report.definitions if d.kind == "abbreviation")
    assert (abbreviation.doc_id, abbreviation.clause, abbreviation.page) == ("ETSI GS QKD 014", "3.3", 8)
    assert abbreviation.text == abbreviation.expansion == "Key Management Entity"
    assert abbreviation.quote == "KME Key Management Entity"
    citation = definition_citation(abbreviation)
    assert check_citation(citation, searcher.index.pages(abbreviation.source))
    assert format_citation(citation) == "ETSI GS QKD 014 V1.1.1, clause 3.3, p. 8"
    term = next(d for d in report.definitions if d.kind == "term")
    assert term.term == "Key Management Entity (KME)" and term.text.startswith("entity that manages keys")
    assert glossary.expansions("KME") == {"ETSI": {"Key Management Entity"}}
    assert not report.conflicting


def test_fips_203_defines_the_decapsulation_key(searcher: Searcher, glossary: Glossary) -> None:
    [definition] = glossary.lookup("decapsulation key")
    assert (definition.doc_id, definition.clause, definition.page, definition.kind) == (
        "NIST FIPS 203",
        "2.1",
        11,
        "term",
    )
    assert definition.text.startswith("A cryptographic key produced by a KEM during key generation")
    assert definition.quote.startswith("decapsulation key A cryptographic key produced by a KEM")
    assert check_citation(definition_citation(definition), searcher.index.pages(definition.source))
    [shared] = glossary.lookup("shared secret key")
    assert shared.text.startswith("A shared secret that can be used directly as a cryptographic key")


def test_lookup_ignores_case_hyphens_and_plurals(glossary: Glossary) -> None:
    assert glossary.lookup("kme") == glossary.lookup("KME") != []
    assert glossary.lookup("DECAPSULATION KEYS") == glossary.lookup("decapsulation key")
    assert glossary.lookup("key management entities") == glossary.lookup("Key Management Entity")
    assert [d.term for d in glossary.lookup("public key cryptography")] == ["Public-key cryptography"]
    by_expansion = glossary.lookup("Key Management Entity")
    assert [d.kind for d in by_expansion] == ["term", "abbreviation"]  # the term first, then its abbreviation
    assert glossary.lookup("no such term anywhere") == []


def test_expand_query_on_the_real_glossary(glossary: Glossary) -> None:
    expanded = glossary.expand_query("How does a KME answer?")
    assert expanded.startswith("How does a KME answer?") and "Key Management Entity" in expanded
    assert expanded.count("Key Management Entity") == 1
    assert glossary.expand_query("How does a KME answer?", doc_ids=["NIST FIPS 203"]) == "How does a KME answer?"
    assert "Module Learning with Errors" in glossary.expand_query("MLWE hardness", doc_ids=["NIST FIPS 203"])


def test_definition_json_shape(glossary: Glossary) -> None:
    data = definition_json(define(glossary, "SAE"))
    assert set(data) == {"term", "conflicting", "definitions"}
    assert data["term"] == "SAE" and data["conflicting"] is False  # one body in the subset
    definitions = data["definitions"]
    assert isinstance(definitions, list) and definitions
    keys = {"doc_id", "body", "edition", "clause", "page", "source", "kind", "text", "quote"}
    assert all(set(item) == keys for item in definitions)
    assert {item["text"] for item in definitions if item["kind"] == "abbreviation"} == {"Secure Application Entity"}
    empty = definition_json(define(glossary, "no such term anywhere"))
    assert empty == {"term": "no such term anywhere", "conflicting": False, "definitions": []}


def test_the_glossary_is_saved_with_the_index_for_the_next_process(
    subset_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ingest saved it; a fresh Index object (as in a new process) loads it without parsing.
    copy = tmp_path / "index"
    shutil.copytree(subset_index.index, copy)
    built = Glossary.build(Index(subset_index.index))
    saved = copy / glossary_module.GLOSSARY_FILE
    assert json.loads(saved.read_text())["generation"] == Index(copy).generation

    def no_parsing(*_: object) -> list[Definition]:
        raise AssertionError("the saved glossary was not used")

    with monkeypatch.context() as patch:
        patch.setattr(glossary_module, "_extract", no_parsing)
        assert Glossary.build(Index(copy)).definitions == built.definitions

    # A stale or broken file is parsed again by the reader — which never writes: the
    # writer replaces the file (save_glossary, when a change to the index ends).
    for damage in ('{"generation": -5, "definitions": []}', "{broken", '{"generation": 0}'):
        saved.write_text(damage)
        index = Index(copy)
        if damage.startswith('{"generation": 0'):
            damage = json.dumps({"generation": index.generation, "definitions": [{"term": 1}]})
            saved.write_text(damage)
        assert Glossary.build(index).definitions == built.definitions
        assert saved.read_text() == damage
        glossary_module.save_glossary(index)
        assert json.loads(saved.read_text())["generation"] == index.generation
