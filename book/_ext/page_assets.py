"""Keep every page's scripts clean, for a book that works offline with no console errors.

* Thebe (live code cells from a remote kernel) is off in this book, but sphinx-thebe still adds
  its configuration script to every page, twice, which throws "THEBE_JS_URL has already been
  declared" and names a CDN. Its assets are removed from the pages.
* The theme logs an error when no colour mode is configured; the default is set explicitly.
"""


def clean_page(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):  # the template writes it into <html data-mode=...>
        context["default_mode"] = "light"
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if "sphinx-thebe" not in str(js) and "THEBE_JS_URL" not in js.attributes.get("body", "")
    ]
    context["css_files"] = [css for css in context.get("css_files", [])
                            if "sphinx-thebe" not in str(css)]


def setup(app):
    app.connect("html-page-context", clean_page)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
