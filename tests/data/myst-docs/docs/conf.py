# Sphinx configuration of the greetkit sample documentation.
project = "greetkit"
extensions = ["myst_parser", "sphinx.ext.autodoc"]
myst_enable_extensions = ["colon_fence", "substitution"]
