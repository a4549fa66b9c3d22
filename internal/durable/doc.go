// Package durable writes files so that they survive a power cut once a
// call returns: file contents and new directory entries are fsynced.
// Backups, restores, the checkpoint key and the checkpoint log use it.
// It depends on the standard library only.
package durable
