"""inferplan: declarative LLM serving on Azure.

The project is an application run from its repository: each top-level folder is the package of
its name, so ``a.b.c`` lives at ``a/b/c.py``. The parts, in the order imports may point (each may
import only those after it):

``inferplan.cli`` (the command) -> ``inferplan.review`` (check, diff) -> ``inferplan.preflight``
-> ``inferplan.offline`` (the Pulumi program under mocks) -> ``policies`` -> ``components``
(Pulumi components and the program) -> ``sizing`` (catalogs, performance model, search, Plan)
-> ``inputs`` (workload, template and environment YAML).
"""

__version__ = "0.1.0"
