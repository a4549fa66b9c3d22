package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cordbank/cordbank/internal/durable"
)

// LoadOrCreateKey reads the Ed25519 private key in the PEM file at path.
// When the file does not exist it generates a key, writes it there (mode
// 0600, created exclusively so two processes never write different keys),
// writes its public key beside it (path + ".pub") and reports created:
// the caller tells the operator to keep the key away from the database
// and its backups.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := parsePrivate(b)
		if err != nil {
			return nil, false, fmt.Errorf("checkpoint key %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("checkpoint key: %w", err)
	}
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint key: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint key: %w", err)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, false, fmt.Errorf("checkpoint key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint key: %w", err)
	}
	if err := writeNew(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return nil, false, fmt.Errorf("checkpoint public key: %w", err)
	}
	return k, true, nil
}

// LoadPublicKey reads the public key a verifier trusts from a PEM file
// holding either the public key (KEY.pub) or the private key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("checkpoint key %s: not a PEM file", path)
	}
	if blk.Type == "PRIVATE KEY" {
		k, err := parsePrivate(b)
		if err != nil {
			return nil, fmt.Errorf("checkpoint key %s: %w", path, err)
		}
		return k.Public().(ed25519.PublicKey), nil
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key %s: %w", path, err)
	}
	k, ok := pub.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("checkpoint key %s: not an Ed25519 key", path)
	}
	return k, nil
}

func parsePrivate(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return ek, nil
}

// writeNew writes a file that must not exist yet, durably, entry included.
func writeNew(path string, b []byte, mode os.FileMode) error {
	if err := durable.WriteNew(path, bytes.NewReader(b), mode); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(path))
}
