"""Tests of qkdnassist.config: QKDN_* variables read, checked, and reported by name."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from qkdnassist.config import BUNDLED_MODEL, Settings, load_settings
from qkdnassist.errors import ConfigError


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings(env={})
    assert settings == Settings()
    assert settings.corpus == Path("corpus")
    assert settings.index == Path("index")
    assert settings.manifest == Path("corpus/manifest.tsv")
    assert settings.embed_model == BUNDLED_MODEL == "bundled"
    assert (settings.embed_batch, settings.chunk_tokens, settings.search_k) == (64, 160, 10)


def test_reading_settings_creates_nothing(tmp_path: Path) -> None:
    load_settings(env={"QKDN_CORPUS": str(tmp_path / "c"), "QKDN_INDEX": str(tmp_path / "i")})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("QKDN_CORPUS", "docs/standards", "corpus", Path("docs/standards")),
        ("QKDN_INDEX", "var/qkdn-index", "index", Path("var/qkdn-index")),
        ("QKDN_MANIFEST", "meta/known.tsv", "manifest", Path("meta/known.tsv")),
        ("QKDN_EMBED_MODEL", "/models/bge-small", "embed_model", "/models/bge-small"),
        ("QKDN_EMBED_BATCH", "8", "embed_batch", 8),
        ("QKDN_CHUNK_TOKENS", "256", "chunk_tokens", 256),
        ("QKDN_SEARCH_K", "25", "search_k", 25),
        ("QKDN_SEARCH_K", "  7 ", "search_k", 7),
        ("QKDN_EMBED_MODEL", "  bundled  ", "embed_model", "bundled"),
    ],
)
def test_each_variable_is_read(variable: str, value: str, field: str, expected: object) -> None:
    settings = load_settings(env={variable: value})
    assert getattr(settings, field) == expected
    others = {name: getattr(Settings(), name) for name in (f.name for f in fields(Settings)) if name != field}
    assert {name: getattr(settings, name) for name in others} == others


@pytest.mark.parametrize("variable", ["QKDN_CORPUS", "QKDN_INDEX", "QKDN_MANIFEST", "QKDN_EMBED_MODEL"])
def test_blank_value_means_the_default(variable: str) -> None:
    assert load_settings(env={variable: "   "}) == Settings()


def test_home_in_paths_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings(env={"QKDN_CORPUS": "~/standards"})
    assert settings.corpus == tmp_path / "standards"


def test_values_come_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QKDN_SEARCH_K", "42")
    assert load_settings().search_k == 42


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("QKDN_EMBED_BATCH", "sixty-four"),
        ("QKDN_EMBED_BATCH", "6.5"),
        ("QKDN_CHUNK_TOKENS", "160 tokens"),
        ("QKDN_SEARCH_K", "1e3"),
        ("QKDN_SEARCH_K", "0x10"),
    ],
)
def test_bad_integer_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={variable: value})
    message = str(caught.value)
    assert variable in message
    assert "whole number" in message
    assert repr(value.strip()) in message


@pytest.mark.parametrize(
    ("variable", "value", "low", "high"),
    [
        ("QKDN_EMBED_BATCH", "0", 1, 1024),
        ("QKDN_EMBED_BATCH", "1025", 1, 1024),
        ("QKDN_CHUNK_TOKENS", "31", 32, 512),
        ("QKDN_CHUNK_TOKENS", "513", 32, 512),
        ("QKDN_SEARCH_K", "-1", 1, 200),
        ("QKDN_SEARCH_K", "201", 1, 200),
    ],
)
def test_out_of_range_value_names_the_variable_and_the_range(variable: str, value: str, low: int, high: int) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={variable: value})
    message = str(caught.value)
    assert variable in message
    assert f"from {low} to {high}" in message
    assert value in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("QKDN_EMBED_BATCH", "1"),
        ("QKDN_EMBED_BATCH", "1024"),
        ("QKDN_CHUNK_TOKENS", "32"),
        ("QKDN_CHUNK_TOKENS", "512"),
        ("QKDN_SEARCH_K", "1"),
        ("QKDN_SEARCH_K", "200"),
    ],
)
def test_range_bounds_are_allowed(variable: str, value: str) -> None:
    settings = load_settings(env={variable: value})
    assert getattr(settings, variable.removeprefix("QKDN_").lower()) == int(value)


@pytest.mark.parametrize("variable", ["QKDN_INDEX", "QKDN_CORPUS"])
def test_folder_setting_pointing_to_a_file_is_an_error(tmp_path: Path, variable: str) -> None:
    a_file = tmp_path / "index.tsv"
    a_file.write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={variable: str(a_file)})
    assert variable in str(caught.value)
    assert "must be a folder" in str(caught.value)


def test_existing_folders_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(env={"QKDN_INDEX": str(tmp_path), "QKDN_CORPUS": str(tmp_path)})
    assert settings.index == settings.corpus == tmp_path


def test_settings_built_directly_are_validated_too() -> None:
    with pytest.raises(ConfigError, match="QKDN_EMBED_MODEL"):
        Settings(embed_model=" ")
    with pytest.raises(ConfigError, match="QKDN_CHUNK_TOKENS"):
        Settings(chunk_tokens=10_000)
