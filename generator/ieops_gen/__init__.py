"""ieops_gen: the typed API compiler, from OpenAPI documents to a typed IEOPS worker.

Run it as ``ieops-gen SCHEMAS_DIR``; the pipeline is ``load`` -> ``validate`` -> ``build``
(the ``ir``, cleaned by ``fixups``) -> ``models`` -> ``emit`` -> ``write``
(docs/architecture.md). Importing this package needs none of the generator
dependencies; running it needs the ``gen`` extra (``pip install 'gmi-ieops[gen]'``).
"""

from .errors import GenerationError, Problem, SpecError

__all__ = ["GenerationError", "Problem", "SpecError"]
