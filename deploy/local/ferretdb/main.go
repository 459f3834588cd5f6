// Command ferretdb-launcher runs FerretDB 1.24 (PostgreSQL or SQLite backend) as the local
// MongoDB-compatible store. It embeds github.com/FerretDB/FerretDB/ferretdb because the
// plain cmd/ferretdb binary built by `go install` panics on a missing version file
// (ARCHITECTURE.md §5).
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // -pprof: where FerretDB spends its CPU (docs/performance.md)
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// FerretDB allocates for every document it decodes; at Go's default GOGC of 100 its collector took
// about a third of its CPU in a season, and a season ran 10 % faster at 1600 (ADR 0020). The live
// heap is small, so a collection every 16 heaps costs little memory; GOMEMLIMIT caps it softly.
// Either set in the environment wins.
const (
	defaultGCPercent   = 1600
	defaultMemoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "data/", "directory for the SQLite databases")
	postgresURL := flag.String("postgresql-url", "", "use PostgreSQL at this URL instead of SQLite")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	pprofAddr := flag.String("pprof", "", "serve Go's /debug/pprof on this address (off when empty)")
	flag.Parse()
	tuneGC()

	if *pprofAddr != "" {
		go func() { log.Printf("pprof: %v", http.ListenAndServe(*pprofAddr, nil)) }()
	}

	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		log.Fatalf("cannot create data directory %s: %v", *dataDir, err)
	}

	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		log.Fatalf("bad -log-level %q: %v", *level, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	config := ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/",
		Logger:    logger,
	}
	if *postgresURL != "" {
		config.Handler, config.PostgreSQLURL = "postgresql", *postgresURL
	}
	f, err := ferretdb.New(&config)
	if err != nil {
		log.Fatalf("cannot start FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Warn("FerretDB listening", "uri", "mongodb://"+*listen+"/", "data", *dataDir)
	if err := f.Run(ctx); err != nil {
		log.Fatalf("FerretDB stopped: %v", err)
	}
}
