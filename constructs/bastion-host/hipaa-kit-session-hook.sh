#!/bin/bash
# hipaa-kit-session-hook: pam_exec session hook for sshd, sudo and su (issue 16, pillar P03).
# Writes one JSON line per session open and close (who, from where, when, as which role) to the session log the
# CloudWatch agent ships. "session required": a session whose record cannot be written does not start, and neither
# does an operator session while the log shipper is down (the break-glass login may still enter to repair it).
set -uo pipefail
LOG="${HMK_SESSION_LOG:-/var/log/hipaa-kit/sessions.log}"
SHIPPER_CHECK="${HMK_SHIPPER_CHECK:-/usr/local/sbin/hipaa-kit-shipper-alive}"
OPERATOR_GROUP="hipaa-operators"
BREAK_GLASS_GROUP="hipaa-break-glass"

# Keep only characters that cannot break the JSON line or forge a field.
clean() { printf '%s' "${1:-}" | tr -cd 'A-Za-z0-9._:@/-' | cut -c1-128; }

in_group() { id -nG "$1" 2>/dev/null | tr ' ' '\n' | grep -qx "$2"; }

user="$(clean "${PAM_USER:-}")"
uid="$(id -u "$user" 2>/dev/null || echo -1)"
role="unlisted"
listed=false
if [[ "$uid" == 0 ]]; then
  role="root"
elif in_group "$user" "$OPERATOR_GROUP"; then
  role="operator"
  listed=true
elif in_group "$user" "$BREAK_GLASS_GROUP"; then
  role="break-glass"
fi
case "${PAM_TYPE:-}" in
  open_session) event="session_open" ;;
  close_session) event="session_close" ;;
  *) exit 0 ;;
esac

line="$(printf '{"time":"%s","event":"%s","service":"%s","user":"%s","uid":%s,"role":"%s","listed":%s,"rhost":"%s","ruser":"%s","tty":"%s","pid":%s}' \
  "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$event" "$(clean "${PAM_SERVICE:-}")" "$user" "$uid" "$role" "$listed" \
  "$(clean "${PAM_RHOST:-}")" "$(clean "${PAM_RUSER:-}")" "$(clean "${PAM_TTY:-}")" "$PPID")"

if ! { umask 077; printf '%s\n' "$line" >>"$LOG"; } 2>/dev/null; then
  echo "hipaa-kit: the session record could not be written; session refused"
  exit 1
fi
if [[ "$event" == session_open && "$role" != break-glass && -x "$SHIPPER_CHECK" ]] && ! "$SHIPPER_CHECK"; then
  printf '%s\n' "${line/\"event\":\"session_open\"/\"event\":\"session_refused\"}" >>"$LOG"
  echo "hipaa-kit: the log shipper is not running, so this session could not be recorded; session refused"
  exit 1
fi
exit 0
