"""The limits every front end shares (CLI, web app, and whatever comes next).

A front end checks nothing of its own: it uses these, so a question the web app accepts
is one the command line accepts too.
"""

from __future__ import annotations

__all__ = [
    "API_BODY_BYTES",
    "API_RATE_WINDOW",
    "MAX_QUESTION_CHARS",
    "TOPIC_WORDS",
    "UPLOAD_NAME_BYTES",
    "UPLOAD_NAME_CHARS",
    "UPLOAD_TYPES",
]

MAX_QUESTION_CHARS = 4000  # a question, not a document (drafts go to the coverage check)

# A coverage topic: a line of at most this many words is a topic; longer text is a draft
# (split into topics of this size).
TOPIC_WORDS = 16

UPLOAD_TYPES = (".pdf", ".docx", ".txt", ".md")  # what the readers read
# A stored name's stem is cut at this many characters, and the whole name at this many
# UTF-8 bytes: file systems count bytes (255 on ext4, XFS, Btrfs), and 120 CJK characters
# are already 360.
UPLOAD_NAME_CHARS = 120
UPLOAD_NAME_BYTES = 200

# The HTTP API and MCP: the largest request body (a question with its conversation, not
# a document; uploads go through the web app, which has its own QKDN_UPLOAD_MB).
API_BODY_BYTES = 1024 * 1024
API_RATE_WINDOW = 60.0  # seconds over which QKDN_API_RATE counts a client's requests
