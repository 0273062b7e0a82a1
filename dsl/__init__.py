"""Grid operations that programs call: BARC-compatible helpers and the operations the program
search composes, one function per concept.

Programs import them with ``from common import *``; the sandbox maps ``common`` to
``dsl.common``. ``api_reference()`` renders their signatures and docstrings for prompts.
"""

from dsl.api import api_reference

__all__ = ["api_reference"]
