"""unit: berjasa.web.pages.CompiledTemplates › a template is compiled once per
process, for every app, and compiled again when its file changes."""

from __future__ import annotations

import os

from jinja2 import Environment, FileSystemLoader

from berjasa.web.pages import COMPILED_TEMPLATES, CompiledTemplates


def test_both_apps_share_the_compiled_templates(app, tmp_path):
    from berjasa.settings import AppConfig, load_settings
    from central.app import create_app

    folder = tmp_path / "central"
    folder.mkdir()
    central = create_app(AppConfig(folder, load_settings(folder, {}),
                                   database_url=f"sqlite:///{folder / 'central.db'}"))
    assert app.jinja_env.bytecode_cache is COMPILED_TEMPLATES
    assert central.jinja_env.bytecode_cache is COMPILED_TEMPLATES
    first = app.test_client().get("/login")
    again = app.test_client().get("/login")
    assert first.status_code == again.status_code == 200
    assert 'name="username"' in again.get_data(as_text=True)


def test_a_changed_template_is_compiled_again_and_others_are_reused(tmp_path):
    cache = CompiledTemplates()
    (tmp_path / "page.html").write_text("Halo {{ name }}", encoding="utf-8")
    compiled: list[str] = []

    class Counting(Environment):
        def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
            compiled.append(name)
            return super().compile(source, name, filename, raw, defer_init)

    def render(name: str) -> str:
        env = Counting(loader=FileSystemLoader(tmp_path), bytecode_cache=cache)
        return env.get_template("page.html").render(name=name)

    assert render("Ani") == "Halo Ani"
    assert render("Budi") == "Halo Budi"  # another environment: not compiled again
    assert compiled == ["page.html"]
    (tmp_path / "page.html").write_text("Selamat datang, {{ name }}", encoding="utf-8")
    os.utime(tmp_path / "page.html", (1, 1))
    assert render("Citra") == "Selamat datang, Citra"
    assert compiled == ["page.html", "page.html"]
