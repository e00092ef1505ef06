package postfixtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// layout names the files of an instance, all under root.
type layout struct {
	root  string
	conf  string // main.cf and master.cf
	queue string // queue_directory
	data  string // data_directory
	mail  string // the known users' mailbox files
	spool string // mail_spool_directory
	log   string // maillog_file
}

func newLayout(root string) layout {
	return layout{
		root:  root,
		conf:  filepath.Join(root, "etc"),
		queue: filepath.Join(root, "spool"),
		data:  filepath.Join(root, "lib"),
		mail:  filepath.Join(root, "mail"),
		spool: filepath.Join(root, "mailspool"),
		log:   filepath.Join(root, "maillog"),
	}
}

// mailbox is the file user's mail is delivered to.
func (l layout) mailbox(user string) string { return filepath.Join(l.mail, user) }

// ids are the numeric owners Postfix wants on its directories.
type ids struct {
	mailOwner   int // uid of mail_owner, "postfix"
	setgidGroup int // gid of setgid_group, "postdrop"
}

func lookupIDs() (ids, error) {
	u, err := user.Lookup("postfix")
	if err != nil {
		return ids{}, fmt.Errorf("postfixtest: mail_owner: %w", err)
	}
	g, err := user.LookupGroup("postdrop")
	if err != nil {
		return ids{}, fmt.Errorf("postfixtest: setgid_group: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return ids{}, fmt.Errorf("postfixtest: mail_owner uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return ids{}, fmt.Errorf("postfixtest: setgid_group gid %q: %w", g.Gid, err)
	}
	return ids{mailOwner: uid, setgidGroup: gid}, nil
}

// dir is one directory to create: its path, mode, owner and group.
type dir struct {
	path     string
	mode     os.FileMode
	uid, gid int
}

// create makes the directories with the owners and modes of Postfix's
// postfix-files (the ones "postfix check" would create, without its
// second of shell scripts). root is opened to all, for the daemons running
// as postfix and local(8) delivering as nobody.
func (l layout) create(id ids) error {
	q := func(name string) string { return filepath.Join(l.queue, name) }
	mo, sg := id.mailOwner, id.setgidGroup
	dirs := []dir{
		{l.root, 0o755, 0, 0},
		{l.conf, 0o755, 0, 0},
		{l.data, 0o700, mo, 0},
		{l.mail, 0o1777, 0, 0},
		{l.spool, 0o1777, 0, 0},
		{l.queue, 0o755, 0, 0},
		{q("pid"), 0o755, 0, 0},
		{q("maildrop"), 0o730, mo, sg},
		{q("public"), 0o710, mo, sg},
	}
	for _, name := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		dirs = append(dirs, dir{q(name), 0o700, mo, 0})
	}
	for _, d := range dirs {
		if err := os.Mkdir(d.path, d.mode); err != nil && !os.IsExist(err) {
			return err
		}
		// Chmod, not Mkdir, sets the sticky bit and ignores the umask.
		if err := os.Chmod(d.path, d.mode); err != nil {
			return err
		}
		if err := os.Chown(d.path, d.uid, d.gid); err != nil {
			return err
		}
	}
	return nil
}
