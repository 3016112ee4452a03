"""The limits every front end shares (CLI, web app, and whatever comes next).

A front end checks nothing of its own: it uses these, so a question the web app accepts
is one the command line accepts too.
"""

from __future__ import annotations

__all__ = ["MAX_QUESTION_CHARS", "TOPIC_WORDS", "UPLOAD_NAME_BYTES", "UPLOAD_NAME_CHARS", "UPLOAD_TYPES"]

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
