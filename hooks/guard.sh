#!/bin/sh
# relpkg unit guard: ExecStartPre=+ of NAME.service (of NAME@.service with
# the slot as its argument: --switch blue-green).  Refuses to start the
# version /opt/NAME/current points at when the database is not at its
# schema (relpkg-state(5)).
set -e
@LIB@
rp_guard "$@"
exit 0
