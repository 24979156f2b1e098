// Yardstick: a Go gRPC server and client for api.Event/GetJobSetEvents over stored events.
//
// The benchmark measures the suite's own gRPC consumer against this client on the
// same stream, and against this server. The server holds the stored events
// decoded, as generated api.EventStreamMessage values, and sends each with
// stream.SendMsg through the standard protobuf codec: what a Go gRPC server such
// as Armada's does (it sends messages, gRPC marshals them). "serve-raw" instead
// writes the stored bytes as they are (a codec that passes bytes through): the
// least work any gRPC server can do per message, faster than any real one. The
// client is a plain Go gRPC client: the standard protobuf codec unmarshals every
// message into the generated api.EventStreamMessage, and it checks that the ids
// increase. Built offline in GOPATH mode from Debian's golang-go,
// golang-google-grpc-dev and golang-github-golang-protobuf-1-3-dev, with Go code
// generated from our protos (see yardstick.py).
//
//	yardstick serve EVENTS_FILE          prints "PORT <n>", serves until stdin closes
//	yardstick serve-raw EVENTS_FILE      the same, writing the stored bytes as they are
//	yardstick read HOST:PORT QUEUE ID    prints one JSON line: count, seconds, cpu_seconds, last_id
//
// EVENTS_FILE holds each serialized message as a 4-byte big-endian length and the bytes.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"syscall"
	"time"

	pb "api"

	"github.com/golang/protobuf/proto"
	"google.golang.org/grpc"
)

const method = "/api.Event/GetJobSetEvents"

// raw passes message bytes through untouched, on both sides.
type raw struct{}

func (raw) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (raw) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = data
	return nil
}
func (raw) Name() string   { return "proto" }
func (raw) String() string { return "proto" }

func load(path string) [][]byte {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		fail(err)
	}
	var out [][]byte
	for len(data) >= 4 {
		size := binary.BigEndian.Uint32(data)
		out = append(out, data[4:4+size])
		data = data[4+size:]
	}
	return out
}

func serve(path string, passBytes bool) {
	stored := load(path)
	events := make([]*pb.EventStreamMessage, len(stored))
	for i, data := range stored {
		events[i] = &pb.EventStreamMessage{}
		if err := proto.Unmarshal(data, events[i]); err != nil {
			fail(err)
		}
	}
	handler := func(srv interface{}, stream grpc.ServerStream) error {
		if passBytes {
			var request []byte
			if err := stream.RecvMsg(&request); err != nil {
				return err
			}
			for i := range stored {
				if err := stream.SendMsg(&stored[i]); err != nil {
					return err
				}
			}
			return nil
		}
		var request pb.JobSetRequest
		if err := stream.RecvMsg(&request); err != nil {
			return err
		}
		for _, event := range events {
			if err := stream.SendMsg(event); err != nil {
				return err
			}
		}
		return nil
	}
	options := []grpc.ServerOption{grpc.UnknownServiceHandler(handler)}
	if passBytes {
		options = append(options, grpc.CustomCodec(raw{}))
	}
	server := grpc.NewServer(options...)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Printf("PORT %d\n", listener.Addr().(*net.TCPAddr).Port)
	go func() { _, _ = io.Copy(ioutil.Discard, os.Stdin); server.Stop(); os.Exit(0) }()
	if err := server.Serve(listener); err != nil {
		fail(err)
	}
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

func read(address, queue, id string) {
	conn, err := grpc.Dial(address, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	cpu, started := cpuSeconds(), time.Now()
	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		fail(err)
	}
	if err := stream.SendMsg(&pb.JobSetRequest{Id: id, Queue: queue}); err != nil {
		fail(err)
	}
	_ = stream.CloseSend()
	count, last, increasing := 0, "", true
	for {
		var message pb.EventStreamMessage
		if err := stream.RecvMsg(&message); err == io.EOF {
			break
		} else if err != nil {
			fail(err)
		}
		current := message.Id
		if count > 0 && (len(current) < len(last) || (len(current) == len(last) && current <= last)) {
			increasing = false
		}
		last, count = current, count+1
	}
	out, _ := json.Marshal(map[string]interface{}{"count": count, "seconds": time.Since(started).Seconds(),
		"cpu_seconds": cpuSeconds() - cpu, "last_id": last, "increasing": increasing})
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "yardstick:", err)
	os.Exit(1)
}

func main() {
	switch {
	case len(os.Args) == 3 && (os.Args[1] == "serve" || os.Args[1] == "serve-raw"):
		serve(os.Args[2], os.Args[1] == "serve-raw")
	case len(os.Args) == 5 && os.Args[1] == "read":
		read(os.Args[2], os.Args[3], os.Args[4])
	default:
		fail(fmt.Errorf("usage: yardstick serve|serve-raw EVENTS_FILE | yardstick read HOST:PORT QUEUE ID"))
	}
}
