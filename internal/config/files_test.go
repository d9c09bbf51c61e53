package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestCheckFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string // the <coordinator> section, line 2 of main.conf
		files map[string]string
		want  string // the error; "" = none
		kind  error
	}{
		{"no token file", "", nil, "", nil},
		{"readable", "<coordinator>\n    api_token_file etc/api.token\n</coordinator>\n",
			map[string]string{"etc/api.token": "t0ken\n"}, "", nil},
		{"missing", "<coordinator>\n    api_token_file etc/api.token\n</coordinator>\n", nil,
			`main.conf:3: coordinator: api_token_file: cannot read "etc/api.token": no such file or directory`, ErrInclude},
		{"a directory", "<coordinator>\n    api_token_file etc\n</coordinator>\n",
			map[string]string{"etc/x": ""}, `main.conf:3: coordinator: api_token_file: cannot read "etc": not a regular file`, ErrInclude},
		{"empty", "<coordinator>\n    api_token_file etc/api.token\n</coordinator>\n",
			map[string]string{"etc/api.token": " \n"}, `main.conf:3: coordinator: api_token_file: "etc/api.token" is empty; expected the API's bearer token`, ErrValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"base.conf": labBase, "main.conf": "include base.conf\n" + tc.extra}
			for k, v := range tc.files {
				files[k] = v
			}
			inDir(t, files)
			c := mustLoad(t, "main.conf") // Load itself does not read the token file
			err := c.CheckFiles()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckFiles = %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want || !errors.Is(err, tc.kind)):
				t.Errorf("CheckFiles = %v, want %s (%v)", err, tc.want, tc.kind)
			}
			var ce *Error
			if tc.want != "" && (!errors.As(err, &ce) || ce.Pos != (Pos{File: "main.conf", Line: 3}) || ce.Key != "api_token_file") {
				t.Errorf("CheckFiles error %#v: want the position of api_token_file", ce)
			}
		})
	}
}

// TestCheckFilesReadToken: the read-only token file is read like the
// admin one, and is refused without it (the TCP API would have no token
// that may write).
func TestCheckFilesReadToken(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		files       map[string]string
		want        string
	}{
		{"both", "<coordinator>\n    api_token_file etc/api.token\n    api_read_token_file etc/read.token\n</coordinator>\n",
			map[string]string{"etc/api.token": "a\n", "etc/read.token": "r\n"}, ""},
		{"read token missing", "<coordinator>\n    api_token_file etc/api.token\n    api_read_token_file etc/read.token\n</coordinator>\n",
			map[string]string{"etc/api.token": "a\n"}, `main.conf:4: coordinator: api_read_token_file: cannot read "etc/read.token"`},
		{"read token alone", "<coordinator>\n    api_read_token_file etc/read.token\n</coordinator>\n",
			map[string]string{"etc/read.token": "r\n"}, `main.conf:3: coordinator: api_read_token_file: a read-only token without api_token_file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"base.conf": labBase, "main.conf": "include base.conf\n" + tc.extra}
			maps.Copy(files, tc.files)
			inDir(t, files)
			err := mustLoad(t, "main.conf").CheckFiles()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tc.want)) {
				t.Errorf("CheckFiles = %v, want %q", err, tc.want)
			}
		})
	}
}
