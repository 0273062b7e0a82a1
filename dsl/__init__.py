"""Grid helpers (BARC-compatible) that synthesized programs call.

Programs import them with ``from common import *``; the sandbox maps ``common`` to
``dsl.common``. ``api_reference()`` renders their signatures and docstrings for prompts.
"""

from dsl.api import api_reference

__all__ = ["api_reference"]
