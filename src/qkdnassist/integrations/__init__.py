"""Adapters that let other frameworks use qkdnassist (LangChain).

Each adapter lives in its own module and imports its framework there, so importing
this package loads nothing.
"""
