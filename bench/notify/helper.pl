# Candidate "perl helper" (perl-base is Essential on Debian, so it is on slim images where python3 is not),
# the same protocol as helper.py: stdin "open ID PATH" | "close ID"; stdout "ok ID" | "err ID TEXT" | "d ID BASE64".
use strict;
use warnings;
use Socket;
use IO::Select;
use MIME::Base64 qw(encode_base64);

$| = 1;
my $sel = IO::Select->new(\*STDIN);
my (%sock, %path, %id_of);
my $pending = "";

sub command {
    my ($line) = @_;
    my ($cmd, $id, $path) = split / /, $line, 3;
    if ($cmd eq "open" && defined $path) {
        my $fh;
        if (socket($fh, AF_UNIX, SOCK_DGRAM, 0) && bind($fh, pack_sockaddr_un($path)) && chmod(0600, $path)) {
            $sock{$id} = $fh; $path{$id} = $path; $id_of{fileno $fh} = $id;
            $sel->add($fh);
            print "ok $id\n";
        } else {
            print "err $id $!\n";
        }
    } elsif ($cmd eq "close" && exists $sock{$id}) {
        $sel->remove($sock{$id});
        delete $id_of{fileno $sock{$id}};
        close delete $sock{$id};
        unlink delete $path{$id};
    }
}

while (1) {
    for my $fh ($sel->can_read) {
        if ($fh == \*STDIN) {
            my $n = sysread(STDIN, my $chunk, 65536);
            if (!$n) { unlink values %path; exit 0; }
            $pending .= $chunk;
            while ($pending =~ s/^([^\n]*)\n//) { command($1); }
        } else {
            my $id = $id_of{fileno $fh};
            next unless defined $id;
            my $data = "";
            recv($fh, $data, 4097, 0);
            print "d $id " . encode_base64($data, "") . "\n";
        }
    }
}
