"""An emulator of Argo Workflows (v3.7/v4) for executing our compiled manifests offline.

Not Argo: a controller (:mod:`.controller`) and an executor (:mod:`.pods`, :mod:`.s3repo`)
that follow Argo's source rule by rule (each cited where applied), with pods as separate
processes on interpreters without dflow_like (:mod:`.images`) and artifacts in a real S3.
"""
