"""inferplan: declarative LLM serving on Azure.

The distribution installs one namespace. Its parts, in the order imports may point (each may
import only those after it):

``inferplan.cli`` (the command) -> ``inferplan.review`` (check, diff) -> ``inferplan.offline``
(the Pulumi program under mocks) -> ``inferplan.policies`` -> ``inferplan.components`` (Pulumi
components and the program) -> ``inferplan.sizing`` (catalogs, estimator, optimizer, Plan) ->
``inferplan.inputs`` (workload, template and environment YAML).
"""
