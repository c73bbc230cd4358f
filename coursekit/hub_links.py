"""Hub handlers for the formgrader page's links; also the hub's configuration file on Kubernetes.

nbgrader 0.9.6's formgrader page opened on its own (``/services/formgrader/formgrader/...`` in
the browser's top frame, not inside JupyterLab) links its assignments, Preview and notebooks
to ``/tree/...``, ``/notebooks/...`` and ``/edit/...`` at the site's root: its static
JavaScript hard-codes these prefixes. The hub sends them on to the formgrader's Lab.

The one-machine hub (``hub/jupyterhub_config.py``) imports :func:`formgrader_link_handlers`
through :mod:`coursekit.hub`. The Kubernetes hub runs the chart's own image, which has no
coursekit: Helm copies this file into its ``jupyterhub_config.d`` (``hub.extraFiles`` in
``hub/k8s/config.yaml``, filled by ``--set-file``), and the chart's configuration runs it
with its ``c``, so the file imports nothing of the course and sets the handlers itself.
"""

FORMGRADER_LINK_PREFIXES = ("tree", "notebooks", "edit")


def formgrader_link_handlers(service="formgrader"):
    """Hub handlers that send the formgrader page's root links to the formgrader's JupyterLab.

    A browser that follows ``/tree/source/a01`` reaches the hub at ``/hub/tree/source/a01``
    (JupyterHub redirects paths outside its prefixes there, where its login cookie is sent);
    these handlers redirect a user who may open the ``service`` to the same path in its Lab,
    ``/services/formgrader/lab/tree/source/a01``, which opens the folder or notebook. Anyone
    else gets the hub's 404 as before: the link gives nothing the formgrader does not.
    Returns the ``(pattern, handler)`` pairs for ``JupyterHub.extra_handlers``.

    Examples
    --------
    >>> [pattern for pattern, _ in formgrader_link_handlers()]
    ['/(?:tree|notebooks|edit)(?:/(.*))?']
    """
    from urllib.parse import quote

    from jupyterhub.handlers import BaseHandler
    from jupyterhub.utils import url_path_join
    from tornado import web

    class FormgraderLinkHandler(BaseHandler):
        @web.authenticated
        def get(self, path):
            if not self.has_scope(f"access:services!service={service}"):
                raise web.HTTPError(404)
            lab = url_path_join(self.base_url, "services", service, "lab", "tree")
            self.redirect(url_path_join(lab, quote(path or "", safe="/")))

    prefixes = "|".join(FORMGRADER_LINK_PREFIXES)
    return [(rf"/(?:{prefixes})(?:/(.*))?", FormgraderLinkHandler)]


# Run as configuration (the Kubernetes hub's jupyterhub_config.d): JupyterHub's ``c`` is set.
_config = globals().get("c")
if _config is not None and hasattr(_config, "JupyterHub"):
    _config.JupyterHub.extra_handlers = formgrader_link_handlers()
