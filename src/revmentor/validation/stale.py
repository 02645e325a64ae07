"""Outputs left by sites that are no longer in the registry, and by shards left without a
site. Left in place, an earlier run's report (or a withdrawn site's participant-level clean
table, or a shard's manifest naming them) would look current."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path

SITE_PLACEHOLDER = "{site}"


def pattern_regex(
    pattern: str, site_id_pattern: str, placeholder: str = SITE_PLACEHOLDER
) -> re.Pattern[str]:
    before, after = pattern.split(placeholder)
    return re.compile(re.escape(before) + f"({site_id_pattern})" + re.escape(after))


def stale_site_files(
    root: Path,
    patterns: Sequence[str],
    current_sites: Collection[str],
    keep: Collection[str],
    site_id_pattern: str,
    placeholder: str = SITE_PLACEHOLDER,
) -> dict[str, list[str]]:
    """Files under ``root`` that match a per-site output ``pattern`` (such as
    ``results/validation/{site}.json``) for a site id not in ``current_sites``, by site.
    ``keep`` names workflow files that happen to match a pattern (the overview). With
    ``placeholder`` '{shard}', the same for a shard's outputs and the current shards."""
    stale: dict[str, list[str]] = {}
    for pattern in patterns:
        matcher = pattern_regex(pattern, site_id_pattern, placeholder)
        # The cheap tests first and the file system last: at 1,000 sites nearly every
        # file is a current site's, and sorting or asking the disk about each one cost
        # the most.
        found = []
        for path in root.glob(pattern.replace(placeholder, "*")):
            name = path.relative_to(root).as_posix()
            match = matcher.fullmatch(name)
            if (
                match
                and match.group(1) not in current_sites
                and name not in keep
                and path.is_file()
            ):
                found.append((path, match.group(1), name))
        for _, site, name in sorted(found, key=lambda item: item[0]):
            stale.setdefault(site, []).append(name)
    return dict(sorted(stale.items()))


def remove_stale_site_files(root: Path, stale: dict[str, list[str]]) -> None:
    """Delete the files, then any folder of a site's (or shard's) own left empty
    (``results/sites/<id>/``, ``results/shards/<shard>/``)."""
    folders = set()
    for site_id, names in stale.items():
        for name in names:
            path = root / name
            path.unlink(missing_ok=True)
            if path.parent.name == site_id:
                folders.add(path.parent)
    for folder in sorted(folders):
        if not any(folder.iterdir()):
            folder.rmdir()


def stale_message(
    stale: dict[str, list[str]], registry: str, awaiting: Collection[str] = ()
) -> str:
    """What was removed and why: a site gone from the registry, or one still registered
    whose data file is no longer there (now awaiting data)."""
    gone = {site: names for site, names in stale.items() if site not in awaiting}
    waiting = {site: names for site, names in stale.items() if site in awaiting}
    lines = []
    if gone:
        lines.append(
            f"removed the outputs of {len(gone)} site(s) no longer in the registry "
            f"({registry}), so that no earlier report is taken for a current one:"
        )
        lines += [f"  {site_id}: {', '.join(names)}" for site_id, names in gone.items()]
    if waiting:
        lines.append(
            f"removed the earlier outputs of {len(waiting)} site(s) whose data file is no "
            "longer there (now awaiting data), so that no earlier report is taken for a "
            "current one:"
        )
        lines += [f"  {site_id}: {', '.join(names)}" for site_id, names in waiting.items()]
    return "\n".join(lines)


def stale_shard_message(stale: dict[str, list[str]]) -> str:
    """What was removed of the shards that no longer hold any site."""
    lines = [
        f"removed the outputs of {len(stale)} shard(s) that no longer hold any registered "
        "site with data, so that no earlier shard manifest or table is taken for a current one:"
    ]
    return "\n".join(
        [*lines, *(f"  {shard}: {', '.join(names)}" for shard, names in stale.items())]
    )
