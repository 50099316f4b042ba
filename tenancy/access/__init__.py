"""The access kit: how every app's edges (browser pages and API views) resolve access.

Order, the same everywhere: the organisation in the URL must be the resolved tenant's (else
404); each object named in the URL is looked up through its tenant-scoped queryset (another
organisation's id, or a missing one, is a 404 for every role); then the caller's role must
hold the view's capability (403); then the method must be one the view answers (405).

- ``converters``: the ``<id:…>`` path converter for object ids (a positive bigint),
  registered once by ``TenancyConfig.ready``.
- ``objects``: how a URL's object ids become objects (shared by pages and the API).
- ``pages``: ``tenant_page``, the decorator of browser views under ``/o/<org_slug>/``.
- ``api``, ``permissions``: ``TenantAPIView``, the base of DRF views under ``/api/v1/``,
  and ``HasTenantRole``, the permission that checks its role.
- ``errors``, ``pagination``, ``schema``: the API's contract (one error shape, cursor
  pagination, the OpenAPI description of both).

The submodules are imported by name (``from tenancy.access.pages import tenant_page``);
this package imports none of them, so loading the converter pulls in no view machinery.
"""
