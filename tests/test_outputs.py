from pathlib import Path

import pytest

from jekyll_asr.errors import OutputConflict
from jekyll_asr.outputs import OutputManifest


def test_hand_edits_are_kept_unless_forced(tmp_path: Path) -> None:
    manifest = OutputManifest(tmp_path, tmp_path / "outputs.json", roots=(tmp_path / "out",))
    assert manifest.write("out/a.vtt", "one") is True
    assert manifest.write("out/a.vtt", "one") is False  # same bytes: no write, no churn
    manifest.save()
    (tmp_path / "out/a.vtt").write_text("one, fixed by hand")
    again = OutputManifest(tmp_path, tmp_path / "outputs.json", roots=(tmp_path / "out",))
    with pytest.raises(OutputConflict, match="edited by hand"):
        again.write("out/a.vtt", "two")
    assert (tmp_path / "out/a.vtt").read_text() == "one, fixed by hand"
    assert again.write("out/a.vtt", "two", force=True) is True
    assert (tmp_path / "out/a.vtt").read_text() == "two"


def test_unknown_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/mine.md").write_text("the user's own file")
    manifest = OutputManifest(tmp_path, tmp_path / "outputs.json", roots=(tmp_path / "out",))
    with pytest.raises(OutputConflict):
        manifest.write("out/mine.md", "generated")
    assert (tmp_path / "out/mine.md").read_text() == "the user's own file"
