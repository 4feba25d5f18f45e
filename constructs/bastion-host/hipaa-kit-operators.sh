#!/bin/bash
# hipaa-kit-operators: makes the bastion's Linux accounts match the operator roster (issue 16, pillar P02).
# Run by user data at first boot and by hipaa-kit-operators.timer at every boot and every 15 minutes.
#   init   adopt the EC2 key pair's key as the break-glass login (root-owned, alarmed on use)
#   sync   fetch the roster (when a parameter is configured), then create, update, expire and disable accounts
# Roster lines: "<name> <expires YYYY-MM-DD or -> <key type> <key data>". Keys live in root-owned files under
# $KEYS_DIR, the only place sshd reads (AuthorizedKeysFile), so nobody can add a key to an account, theirs included.
set -euo pipefail

CONF="${HMK_CONF:-/etc/hipaa-kit/operators.conf}"
ROSTER="/etc/hipaa-kit/operators"
KEYS_DIR="/etc/ssh/authorized_keys"
OPERATOR_GROUP="hipaa-operators"
BREAK_GLASS_GROUP="hipaa-break-glass"
BREAK_GLASS_USER="ec2-user"
ROSTER_PARAMETER=""
REGION=""
# shellcheck source=/dev/null
[[ -f "$CONF" ]] && . "$CONF"
TODAY="${HMK_TODAY:-$(date -u +%F)}"

log() {
  echo "hipaa-kit-operators: $*"
  logger -p authpriv.notice -t hipaa-kit-operators -- "$*" 2>/dev/null || true
}

ensure_groups() {
  getent group "$OPERATOR_GROUP" >/dev/null || groupadd --system "$OPERATOR_GROUP"
  getent group "$BREAK_GLASS_GROUP" >/dev/null || groupadd --system "$BREAK_GLASS_GROUP"
  install -d -m 0755 -o root -g root "$KEYS_DIR"
}

# Copies the key cloud-init gave the break-glass user into the root-owned key directory, once.
init_break_glass() {
  ensure_groups
  local home
  if ! home="$(getent passwd "$BREAK_GLASS_USER" | cut -d: -f6)" || [[ -z "$home" ]]; then
    log "no $BREAK_GLASS_USER account; no break-glass SSH login"
    return 0
  fi
  usermod -aG "$BREAK_GLASS_GROUP" "$BREAK_GLASS_USER"
  if [[ -s "$home/.ssh/authorized_keys" ]]; then
    install -m 0644 -o root -g root "$home/.ssh/authorized_keys" "$KEYS_DIR/$BREAK_GLASS_USER"
    log "break-glass key of $BREAK_GLASS_USER adopted; every login with it alarms"
  fi
}

# Replaces the roster with the parameter's value when it is well formed; keeps the last good one otherwise.
fetch_roster() {
  [[ -n "$ROSTER_PARAMETER" ]] || return 0
  local fresh
  fresh="$(mktemp)"
  if aws ssm get-parameter --region "$REGION" --name "$ROSTER_PARAMETER" \
    --query Parameter.Value --output text >"$fresh" 2>/dev/null && roster_is_valid "$fresh"; then
    install -m 0600 -o root -g root "$fresh" "$ROSTER"
  else
    log "could not fetch a valid roster from $ROSTER_PARAMETER; keeping the last one (end dates still apply)"
  fi
  rm -f "$fresh"
}

roster_is_valid() {
  local name expires type data
  while read -r name expires type data _ || [[ -n "$name" ]]; do  # the last line may lack a newline
    [[ -z "$name" || "$name" == \#* ]] && continue
    [[ "$name" =~ ^[a-z][a-z0-9_]{1,31}$ ]] || return 1
    [[ "$expires" == "-" || "$expires" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || return 1
    [[ "$type" == ssh-ed25519 || "$type" == ssh-rsa ]] || return 1
    [[ "$data" =~ ^[A-Za-z0-9+/]+=*$ ]] || return 1
  done <"$1"
}

disable_account() {
  local name="$1" why="$2"
  rm -f "$KEYS_DIR/$name"
  usermod --expiredate 1 "$name" # PAM refuses an expired account, whatever key it offers
  gpasswd -d "$name" "$OPERATOR_GROUP" >/dev/null 2>&1 || true
  pkill -KILL -u "$name" 2>/dev/null || true
  log "disabled $name ($why); the account stays so its uid keeps naming the person in old audit records"
}

sync_roster() {
  ensure_groups
  fetch_roster
  [[ -f "$ROSTER" ]] || { log "no roster at $ROSTER"; return 1; }
  roster_is_valid "$ROSTER" || { log "roster at $ROSTER is malformed; nothing changed"; return 1; }
  local -A active=()
  local name expires type data account_expiry member
  while read -r name expires type data _ || [[ -n "$name" ]]; do  # the last line may lack a newline
    [[ -z "$name" || "$name" == \#* ]] && continue
    if [[ "$expires" != "-" && "$expires" < "$TODAY" ]]; then
      continue # past its last day: disabled below like a removed operator
    fi
    active[$name]=1
    if ! id -u "$name" >/dev/null 2>&1; then
      useradd --create-home --shell /bin/bash --comment "HIPAA kit operator" "$name"
      log "created $name"
    fi
    usermod -aG "$OPERATOR_GROUP" "$name"
    # The account itself ends the day after the last day, so PAM enforces the date between two syncs.
    account_expiry="-1"
    [[ "$expires" != "-" ]] && account_expiry="$(date -u -d "$expires + 1 day" +%F)"
    usermod --expiredate "$account_expiry" "$name"
    printf '%s %s %s\n' "$type" "$data" "$name" >"$KEYS_DIR/.$name.new"
    chmod 0644 "$KEYS_DIR/.$name.new"
    mv -f "$KEYS_DIR/.$name.new" "$KEYS_DIR/$name"
  done <"$ROSTER"
  # Members of the operator group that the roster no longer lists (or lists past their last day).
  for member in $(getent group "$OPERATOR_GROUP" | cut -d: -f4 | tr ',' ' '); do
    [[ -n "${active[$member]:-}" ]] || disable_account "$member" "not in the roster or past its end date"
  done
  log "roster applied: ${#active[@]} active operator(s): ${!active[*]}"
}

case "${1:-sync}" in
  init) init_break_glass ;;
  sync) sync_roster ;;
  *) echo "usage: hipaa-kit-operators init|sync" >&2; exit 2 ;;
esac
