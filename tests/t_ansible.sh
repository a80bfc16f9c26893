# t_ansible.sh: the Ansible fleet example, examples/ansible/run.sh: two
# booted containers reached over ssh, deploy.yml one host at a time (apt on
# the deb host, dnf on the rpm host), a broken version stopping the rollout,
# rollback.yml with relpkg and without it, pinned against upgrades. Each
# "ok - " / "FAIL - " line of run.sh becomes one result here.
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (containers)"
need_cmd ansible-playbook ssh

rc=0
RELPKG_ANSIBLE_WORK=$T/ansible sh "$TOP/examples/ansible/run.sh" >"$T/run.out" 2>&1 </dev/null || rc=$?
[ "$rc" -eq 77 ] && skip_file "$(sed -n 's/^skip - //p' "$T/run.out" | head -n 1)"

n=0 nbad=0 desc="" detail=""
flush() {
	[ -n "$desc" ] && fail "$desc" "$detail"
	desc="" detail=""
}
while IFS= read -r line; do
	case $line in
	"ok - "*) flush; n=$((n + 1)); pass "${line#ok - }" ;;
	"FAIL - "*) flush; n=$((n + 1)) nbad=$((nbad + 1)); desc=${line#FAIL - } ;;
	"    "*) [ -n "$desc" ] && detail="$detail${detail:+
}${line#    }" ;;
	"# "*) flush; note "${line#\# }" ;;
	*) flush ;;
	esac
done <"$T/run.out"
flush
# every failure of run.sh comes with a FAIL line, else it is one here
if [ "$n" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$nbad" -eq 0 ]; } || [ "$rc" -gt 1 ]; then
	fail "examples/ansible/run.sh ran to its end (status $rc)" "$(tail -n 30 "$T/run.out")"
fi
