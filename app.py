"""Serve the qkdnassist web app: `python app.py` (the same as `qkdnassist serve`)."""

from qkdnassist.app.serve import serve
from qkdnassist.config import load_settings

if __name__ == "__main__":
    raise SystemExit(serve(load_settings()))
