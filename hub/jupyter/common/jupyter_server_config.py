"""Jupyter server settings of every server on the hub: students' servers and the formgrader.

The hub puts this folder on JUPYTER_CONFIG_PATH (coursekit.hub.user_environment and
grader_environment); the single-user image (hub/Dockerfile) does the same.
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets)

# Terminals: an interactive bash that keeps the server's environment. Without a shell
# command, Jupyter starts a *login* shell, and Debian's /etc/profile then resets PATH, so
# `coursekit` and `nbgrader` (in the course's virtual environment) were "command not found".
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}

# MathJax for the feedback pages, served by the server that shows them (students' servers
# and the formgrader) at <server>/static/mathjax/es5/tex-chtml.js, not from a CDN: feedback
# renders its formulas without a network. `npm ci --prefix <hub>` installs it next to the
# proxy; the feedback template (nbconvert_templates/, see nbgrader_config.py) loads it.
_node_modules = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules")
_mathjax = os.path.normpath(os.path.join(_node_modules, "mathjax"))
if os.path.isfile(os.path.join(_mathjax, "es5", "tex-chtml.js")):
    c.ServerApp.extra_static_paths = [os.path.dirname(_mathjax)]
