"""Upload parsers: bytes in, validated item records (and imported annotations) out.

Nothing in this package touches the database; ``annotator.services.imports`` plans and
writes what these modules produce. Every problem is reported as a line error
``{"line": 12, "field": "responses[1].kind", "message": "..."}`` (plus ``"record"``, the
0-based position, for JSON lists, where many records can share one line).
"""
