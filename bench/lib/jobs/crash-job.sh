#!/bin/bash
# The job of the crash-to-restart measure: appends "PID EPOCH_NS" to the file named by $1, then sleeps until it
# is killed. bash's EPOCHREALTIME needs no fork, so the stamp is taken within the process's first millisecond;
# exec keeps the pid, so the pid written is the one the bench kills.
echo "$$ ${EPOCHREALTIME/./}000" >>"$1"
exec sleep 100000
