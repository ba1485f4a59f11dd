"""gmi_ieops: the runtime of IEOPS inference workers.

Importing this package is cheap and has no side effects on the filesystem; the public
modules are ``gmi_ieops.handler``, ``gmi_ieops.config``, ``gmi_ieops.storage`` and
``gmi_ieops.utils``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
