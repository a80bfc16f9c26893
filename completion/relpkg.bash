# bash completion for relpkg                                 -*- shell-script -*-
#
# Commands, sub-commands and flags are read from the program itself
# (`relpkg --help`, `relpkg COMMAND --help`) the first time they are needed
# in a shell, so this file never goes stale when a command or a flag is
# added.  Needs nothing from the bash-completion package; installed as
# /usr/share/bash-completion/completions/relpkg.

# _relpkg_help PROG [COMMAND]: the help text, cached per shell.
_relpkg_help()
{
    local key="${1}|${2-}" i
    for i in "${!_relpkg_cache_key[@]}"; do
        if [[ ${_relpkg_cache_key[i]} == "$key" ]]; then
            printf '%s\n' "${_relpkg_cache_val[i]}"
            return 0
        fi
    done
    local text
    if [[ -n ${2-} ]]; then
        text=$(LC_ALL=C "$1" "$2" --help 2>/dev/null)
    else
        text=$(LC_ALL=C "$1" --help 2>/dev/null)
    fi
    _relpkg_cache_key+=("$key")
    _relpkg_cache_val+=("$text")
    printf '%s\n' "$text"
}

# _relpkg_commands PROG: the command words of `relpkg --help`
# ("  relpkg build TARBALL ...").
_relpkg_commands()
{
    _relpkg_help "$1" | sed -n 's/^  *relpkg \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p' | awk '!seen[$0]++'
}

# _relpkg_subcommands PROG COMMAND: lower-case words right after
# "relpkg COMMAND" in the command's usage lines ("relpkg repo add DIR").
_relpkg_subcommands()
{
    _relpkg_help "$1" "$2" |
        sed -n "s/^\(usage:\)\{0,1\}  *relpkg $2 \([a-z][a-z0-9-]*\)\([ |].*\)\{0,1\}\$/\2/p" |
        tr '|' '\n' | sort -u
}

# _relpkg_flags PROG COMMAND: the flags the command takes: relpkg's own
# list (the option and usage lines of its --help, `relpkg --flags-of`),
# never a flag its text merely mentions (rpm's --oldpackage).
_relpkg_flags()
{
    local f
    f=$("$1" --flags-of "$2" 2>/dev/null) ||
        f=$(_relpkg_help "$1" "$2" | sed -n 's/^  *\(--[a-z][a-z0-9-]*\).*/\1/p')
    printf '%s\n' "$f" | sort -u
}

# _relpkg_packages STORE: package names where one is expected: relpkg's
# packages on this host (/var/lib/relpkg/NAME), the package database's
# (dpkg or rpm), and a --store DIR's.
_relpkg_packages()
{
    local d f n
    for d in "${_relpkg_root-}"/var/lib/relpkg/*/; do
        [[ -d $d ]] || continue
        d=${d%/}
        printf '%s\n' "${d##*/}"
    done
    if [[ -z ${_relpkg_root-} ]]; then
        if type -P dpkg-query >/dev/null; then
            dpkg-query -W -f='${Package}\n' 2>/dev/null
        elif type -P rpm >/dev/null; then
            rpm -qa --qf '%{NAME}\n' 2>/dev/null
        fi
    fi
    if [[ -n ${1-} ]]; then
        for f in "$1"/pool/*.deb "$1"/pool/*.rpm; do
            [[ -f $f ]] || continue
            n=${f##*/}
            case $n in
            *.deb) n=${n%%_*} ;;
            *.rpm) n=${n%-*-*} ;;
            esac
            printf '%s\n' "$n"
        done
    fi
}

# _relpkg_flag_arg PROG COMMAND FLAG: the placeholder after FLAG in the
# option list ("  --out DIR   ..." -> DIR), empty for a flag with no value.
_relpkg_flag_arg()
{
    _relpkg_help "$1" "$2" |
        sed -n "s/^  *$3 \([A-Z][A-Z_]*\|'[^']*'\)  .*/\1/p" | head -n 1
}

_relpkg()
{
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" prog="${COMP_WORDS[0]}"
    local cmd="" sub="" i w cmdi=0
    ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
    COMPREPLY=()

    # The program being completed (./build/relpkg as well), else relpkg.
    prog="${prog/#\~/$HOME}"
    if [[ $prog != */* ]] || [[ ! -x $prog ]]; then
        prog=$(type -P relpkg) || return 0
    fi

    # The command word: the first non-flag word.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ -z $cmd ]]; then
            [[ $w == -* ]] || { cmd="$w"; cmdi=$i; }
        elif [[ -z $sub && $w != -* ]]; then
            sub="$w"
        fi
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help -h --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_relpkg_commands "$prog")" -- "$cur"))
        fi
        return 0
    fi

    # A flag's value.
    if [[ $prev == --* ]]; then
        local arg
        arg=$(_relpkg_flag_arg "$prog" "$cmd" "$prev")
        case $prev in
        --format)
            COMPREPLY=($(compgen -W "deb rpm deb,rpm" -- "$cur"))
            return 0
            ;;
        --compression)
            COMPREPLY=($(compgen -W "gzip xz zstd none" -- "$cur"))
            return 0
            ;;
        --hook)
            COMPREPLY=($(compgen -W "before-stop: after-stop: before-start: after-start:" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return 0
            ;;
        esac
        case $arg in
        DIR)
            COMPREPLY=($(compgen -d -- "$cur"))
            return 0
            ;;
        FILE | TARBALL | PKG)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        ?*)
            return 0 # a free-form value: nothing to offer
            ;;
        esac
    fi

    if [[ $cur == -* ]]; then
        local fl
        if [[ -n $sub ]] && [[ -n $(_relpkg_subcommands "$prog" "$cmd") ]]; then
            # a sub-command's own flags: those of its usage line
            fl=$(_relpkg_help "$prog" "$cmd" |
                sed -n "s/^\(usage:\)\{0,1\}  *relpkg $cmd $sub //p" | grep -o -- '--[a-z][a-z0-9-]*')
            fl="$fl --help"
        else
            fl=$(_relpkg_flags "$prog" "$cmd")
        fi
        COMPREPLY=($(compgen -W "$fl" -- "$cur"))
        return 0
    fi

    # Sub-commands (relpkg repo add|list|prune).
    if [[ -z $sub ]]; then
        local subs
        subs=$(_relpkg_subcommands "$prog" "$cmd")
        if [[ -n $subs ]]; then
            COMPREPLY=($(compgen -W "$subs" -- "$cur"))
            return 0
        fi
    fi

    # The positional words before this one (flag values are not), and a
    # --store DIR given.
    local npos=0 store=""
    for ((i = cmdi + 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ $w == --* ]]; then
            [[ $w == --store ]] && store="${COMP_WORDS[i + 1]-}"
            [[ -n $(_relpkg_flag_arg "$prog" "$cmd" "$w") ]] && ((i++))
            continue
        fi
        ((npos++))
    done
    case $cmd in
    rollback | pin | history | status)
        # NAME first (pin: NAME VERSION; pin --release NAME)
        if ((npos == 0)); then
            COMPREPLY=($(compgen -W "$(_relpkg_packages "$store" | sort -u)" -- "$cur"))
        fi
        return 0
        ;;
    inspect | verify)
        # package files (and directories to reach them)
        local f
        COMPREPLY=()
        while IFS= read -r f; do
            [[ -d $f || $f == *.deb || $f == *.rpm ]] && COMPREPLY+=("$f")
        done < <(compgen -f -- "$cur")
        return 0
        ;;
    vercmp)
        return 0 # two versions: nothing to offer
        ;;
    esac
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
} &&
    complete -o filenames -o bashdefault -F _relpkg relpkg

# ex: filetype=sh
