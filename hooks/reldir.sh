#!/bin/sh
# relpkg runtime release directory: ExecStartPre= of a hot-capable
# NAME.service, run as the service user in the unit's sandbox (no '+').
# Rebuilds /run/NAME/releases (the RELDIR of release_handler, set in the
# unit's environment) from the version /opt/NAME/current points at, so
# that release_handler never writes under /opt and nothing of an earlier
# run survives a restart (relpkg(1), HOT UPGRADES).
@LIB@
rp_hot_reldir || echo "relpkg reldir: could not prepare $RP_HOT_RELDIR: the next transition is cold" >&2
exit 0
