"""Launch buttons (Binder, Colab) only when the book has a public repository.

``_config.yml`` names the Binder and Colab services once; ``repository.url`` switches the buttons
on. With an empty URL the theme would fail (it builds links from the URL), so this extension
removes the launch-button settings before the theme sees them.
"""


def drop_launch_buttons_without_repository(app, config):
    options = config.html_theme_options
    if not options.get("repository_url"):
        options.pop("launch_buttons", None)


def setup(app):
    app.connect("config-inited", drop_launch_buttons_without_repository)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
