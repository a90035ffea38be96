# Shell features: pipelines, subshells, command substitution, here-documents,
# trap, background jobs with wait, kill -STOP/-CONT, exit codes.
echo start
echo a b c | tr a-z A-Z | wc -w
x=$(echo sub; echo two); echo "got: $x"
( cd /tmp; echo subshell in $(pwd) ); echo back in $(pwd)
cat <<END
here doc $((1+2))
END
trap 'echo trapped USR1' USR1
kill -USR1 $$
sleep 0.2 & p=$!
wait $p; echo waited $?
sleep 5 & p=$!
kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo killed status $?
false; echo false=$?
(exit 7); echo sub=$?
for i in 1 2 3; do echo -n $i; done; echo
echo end
