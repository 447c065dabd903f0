"""A fork's symbolic links, as the publish run reads the head commit: followed inside the
repository as ``sam deploy`` reads them, refused when they lead outside or never end."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.commands.fork import follow_links
from reviewer.errors import InputError


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "repo"
    (tree / "infra" / "code").mkdir(parents=True)
    (tree / "infra" / "stack.yaml").write_text("Resources: {}\n", encoding="utf-8")
    (tree / "infra" / "code" / "app.py").write_text("print()\n", encoding="utf-8")
    return tree


def test_links_inside_the_repository_become_what_they_point_at(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "template.yaml").symlink_to("infra/stack.yaml")
    (tree / "src").symlink_to("infra/code")
    (tree / "infra" / "code" / "again.py").symlink_to("app.py")
    (tree / "gone.yaml").symlink_to("nowhere.yaml")

    follow_links(tree)

    assert not (tree / "template.yaml").is_symlink()
    assert (tree / "template.yaml").read_text(encoding="utf-8") == "Resources: {}\n"
    assert (tree / "src" / "app.py").read_text(encoding="utf-8") == "print()\n"
    assert not (tree / "src").is_symlink() and not (tree / "src" / "again.py").is_symlink()
    assert not (tree / "gone.yaml").exists() and not (tree / "gone.yaml").is_symlink()


@pytest.mark.parametrize("target", ["outside", "../outside.yaml", "infra/../../outside.yaml"])
def test_a_link_leading_outside_is_an_input_error_naming_it(
    tmp_path: Path, target: str
) -> None:
    tree = _tree(tmp_path)
    (tmp_path / "outside.yaml").write_text("secret: 1\n", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tree / "template.yaml").symlink_to(
        tmp_path / "outside.yaml" if target == "outside" else target
    )
    with pytest.raises(InputError) as refused:
        follow_links(tree)
    assert str(refused.value).startswith("template.yaml")
    assert "outside the repository" in str(refused.value)
    assert "secret" not in str(refused.value)


def test_a_link_loop_is_an_input_error(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "a.yaml").symlink_to("b.yaml")
    (tree / "b.yaml").symlink_to("a.yaml")
    with pytest.raises(InputError, match="never ends"):
        follow_links(tree)
