package smtpsyntax

// ReplyLine splits one line of a reply, Reply-code [ SP / "-" ] text
// (RFC 5321 §4.2), into its three-digit code and its text. ok is false for
// a line that is no reply line.
func ReplyLine(line string) (code int, text string, ok bool) {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return 0, "", false
	}
	for _, c := range []byte(line[:3]) {
		if c < '0' || c > '9' {
			return 0, "", false
		}
		code = code*10 + int(c-'0')
	}
	if len(line) > 3 {
		text = line[4:]
	}
	return code, text, true
}
