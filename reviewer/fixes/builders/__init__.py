"""One fix builder per framework, and the alias wiring they share.

:mod:`.cloudformation`, :mod:`.sam`, :mod:`.cdk` and :mod:`.serverless` each build a
:class:`~reviewer.contract.findings.Fix` (:mod:`.base`: the signature and what they share). The
wiring of plain templates (:mod:`.wiring`: version, alias, :mod:`.reroute` of every caller)
and the parts it is made of (:mod:`.repoint`, :mod:`.callers`, :mod:`.permissions`,
:mod:`.duplicate`, :mod:`.api_bodies`, :mod:`.redeploy`, :mod:`.naming`, :mod:`.dependencies`,
:mod:`.wired`) serve the CloudFormation and SAM builders; :mod:`.sam_permissions` is SAM's own.
"""
