#!/bin/sh
# relpkg unit guard: ExecStartPre=+ of NAME.service.  Refuses to start the
# version /opt/NAME/current points at when the database is not at its
# schema (relpkg-state(5)).
set -e
@LIB@
rp_guard
exit 0
