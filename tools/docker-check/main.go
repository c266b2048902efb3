// Checks a Dockerfile with BuildKit's own parser and linter (what "docker build --check" runs)
// and a compose file with compose-go (what "docker compose config" runs), without a daemon.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: dockercheck Dockerfile docker-compose.yml")
		os.Exit(2)
	}
	failed := false
	file, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	result, err := parser.Parse(file)
	if err != nil {
		fmt.Printf("Dockerfile: parse error: %v\n", err)
		os.Exit(1)
	}
	for _, warning := range result.Warnings {
		fmt.Printf("Dockerfile: parser warning line %d: %s\n", warning.Location.Start.Line, warning.Short)
		failed = true
	}
	lint := linter.New(&linter.Config{Warn: func(rule, description, url, format string, location []parser.Range) {
		line := 0
		if len(location) > 0 {
			line = location[0].Start.Line
		}
		fmt.Printf("Dockerfile: lint %s line %d: %s\n", rule, line, fmt.Sprintf(format))
		failed = true
	}})
	stages, metaArgs, err := instructions.Parse(result.AST, lint)
	if err != nil {
		fmt.Printf("Dockerfile: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("Dockerfile: %d stages, %d global ARGs\n", len(stages), len(metaArgs))
	options, err := cli.NewProjectOptions([]string{os.Args[2]}, cli.WithOsEnv, cli.WithName("chassis"))
	if err != nil {
		fmt.Printf("compose: %v\n", err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Printf("compose: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("compose: project %s, %d services\n", project.Name, len(project.Services)+len(project.DisabledServices))
	if failed {
		os.Exit(1)
	}
}
